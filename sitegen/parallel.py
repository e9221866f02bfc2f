"""Half of a large build's work done by a forked copy of the process, which hands its result back through a pipe:
the machine's second core, without sharing anything but the result."""
from __future__ import annotations

import os
import pickle
import threading


def can_fork() -> bool:
    """Forking is safe only from a single-threaded process (the preview server has threads: it renders alone)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def start_forked(fn, arg):
    """Run fn(arg) in a forked child; returns a function that waits for its result (None if the child died)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(fn(arg), pipe, protocol=pickle.HIGHEST_PROTOCOL)  # streamed: no second copy
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def result():
        with os.fdopen(read_end, "rb") as pipe:
            try:
                value = pickle.load(pipe)  # straight from the pipe: no second copy of the pages in memory
            except (EOFError, pickle.UnpicklingError):
                value = None
        _, status = os.waitpid(pid, 0)
        return value if status == 0 else None

    return result


def in_two(fn, items: list, parallel: bool = True) -> list:
    """fn(items) as fn(first half) + fn(second half), the second half computed by a forked process when
    `parallel` and the process may fork (and here after all, should that process fail). fn returns a list."""
    if not parallel or len(items) < 2 or not can_fork():
        return fn(items)
    mine, theirs = items[: len(items) // 2], items[len(items) // 2:]
    other = start_forked(fn, theirs)
    done = fn(mine)
    got = other()
    return done + (fn(theirs) if got is None else got)
