# Two entry points: `make serve` (preview) and `make test` (the whole suite). Both set up .venv first: the preview
# needs only requirements.txt; the tests add requirements-dev.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
ARGS ?=

.PHONY: serve build check stats test bench serve-latency page-weight preview-memory search-index search-latency fonts clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	@echo "Installing the test tools from PyPI (requirements-dev.txt); the first test run also fetches the HTML checker and axe-core from npm (tests/tools/package.json): the first time needs the network."
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

serve: $(VENV)/.runtime
	$(PY) build.py serve --port $(PORT) $(ARGS)

build: $(VENV)/.runtime
	$(PY) build.py build $(ARGS)

check: $(VENV)/.runtime
	$(PY) build.py check

stats: $(VENV)/.runtime
	$(PY) build.py stats

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) bench/bench.py $(ARGS)

serve-latency: $(VENV)/.installed
	$(PY) bench/serve_latency.py $(ARGS)

page-weight: $(VENV)/.runtime
	$(PY) bench/page_weight.py $(ARGS)

preview-memory: $(VENV)/.installed
	$(PY) bench/preview_memory.py $(ARGS)

search-index: $(VENV)/.installed
	$(PY) bench/search_index.py $(ARGS)

search-latency: $(VENV)/.installed
	$(PY) bench/search_latency.py $(ARGS)

fonts: $(VENV)/.installed
	$(PY) tests/tools/subset_fonts.py $(ARGS)

clean:
	rm -rf _site $(VENV)
