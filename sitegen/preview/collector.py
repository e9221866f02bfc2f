"""When the preview runs Python's cycle collector: so that it never holds up the next save's rebuild.

A build runs with the collector paused (pipeline.collector_paused), so everything it made is young. Soon after the
browsers are told to reload, a young collection finds the cycles the build left (~40 ms at 10,000 facts, one
build's objects). The full collection walks every object (0.3-0.5 s at 10,000 facts, holding the interpreter): it
runs after a pause in the saves, and every FULL_EVERY builds of an editor who never pauses, which bounds what cycles
of older builds can hold. Nothing is set aside with gc.freeze: what a frozen object holds would outlive its build.
Both hand what they freed back to the system.
"""
from __future__ import annotations

import ctypes
import gc

FULL_EVERY = 20     # builds without a pause between full collections: the bound on garbage older builds left


class Collector:
    """The cycle collection of one preview: young after each build, full after a pause or every FULL_EVERY builds."""

    def __init__(self):
        self.builds: int | None = None  # builds since the last full collection; None before the first

    def after_build(self) -> None:
        """Once the browsers have asked for their pages again: the young collection, or the full one when due."""
        if self.builds is None or self.builds + 1 >= FULL_EVERY:
            self.full()
            return
        self.builds += 1
        gc.collect(1)   # the build's objects are all in generations 0 and 1: the collector was paused
        gc.enable()
        hand_back_memory()

    def full(self) -> None:
        """Every object walked: what older builds left in cycles is freed."""
        self.builds = 0
        gc.collect()
        gc.enable()
        hand_back_memory()

    def close(self) -> None:
        """Python's collector as it was before the preview."""
        gc.enable()


try:
    MALLOC_TRIM = ctypes.CDLL(None).malloc_trim
except (OSError, AttributeError):   # not glibc (macOS, musl): freed memory goes back as that allocator decides
    MALLOC_TRIM = None


def hand_back_memory() -> None:
    """glibc keeps what a rebuild freed (its pages and strings) for reuse, so without this the preview's resident
    memory stays at its largest rebuild's (+55 MiB at 10,000 facts; +10 with it, bench/preview_memory.py)."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
