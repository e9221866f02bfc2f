# Two entry points: `make serve` (preview) and `make test` (the whole suite). Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: serve build check test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

serve: $(VENV)/.installed
	$(PY) build.py serve

build: $(VENV)/.installed
	$(PY) build.py build

check: $(VENV)/.installed
	$(PY) build.py check

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) bench/bench.py

clean:
	rm -rf _site $(VENV)
