"""Half of a large build's work done by a forked copy of the process, which hands its result back through a pipe:
the machine's second core, without sharing anything but the result."""
from __future__ import annotations

import array
import fcntl
import os
import pickle
import signal
import sys
import threading


def can_fork() -> bool:
    """Forking is safe only from a single-threaded process (the preview server has threads: it renders alone)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def start_forked(fn, arg):
    """Run fn(arg) in a forked child; returns a function that waits for its result (None if the child died)."""
    return Forked(fn, arg).result


class Forked:
    """fn(arg) computed by a forked child: result() waits for it (None if the child died), cancel() ends it."""

    def __init__(self, fn, arg):
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: compute, send, and leave without running the parent's cleanup
            status = 1
            try:
                signal.signal(signal.SIGTERM, _stop)     # cancel(): unwind, so fn's own cleanup runs
                os.close(read_end)
                with os.fdopen(write_end, "wb") as pipe:
                    pickle.dump(fn(arg), pipe, protocol=pickle.HIGHEST_PROTOCOL)  # streamed: no second copy
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")

    def result(self):
        with self.pipe:
            try:
                value = pickle.load(self.pipe)  # straight from the pipe: no second copy of the pages in memory
            except (EOFError, pickle.UnpicklingError):
                value = None
        _, status = os.waitpid(self.pid, 0)
        return value if status == 0 else None

    def cancel(self) -> None:
        """Stop the child (its own children, such as a subprocess it waits for, end with their pipes) and reap it."""
        if not self.pipe.closed:
            self.pipe.close()
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)


def _stop(signum, frame):
    raise SystemExit(1)


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


class Turns:
    """The numbers 0 to count - 1, each given once, to whichever process asks next: this one, or one it forks
    after. They wait in a pipe, which gives each 4-byte read whole to one reader, so two processes sharing the
    work end together, and one that dies takes no number with it. Where the pipe cannot hold them all (16,384 in
    a default pipe, more where it can grow), this process takes the even numbers and a forked one the odd."""

    def __init__(self, count: int):
        self.count, self.owner, self.given = count, os.getpid(), 0
        self.pipe: int | None = None
        read_end, write_end = os.pipe()
        numbers = array.array("I", range(count)).tobytes()
        try:
            if len(numbers) > 65536 and hasattr(fcntl, "F_SETPIPE_SZ"):
                fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, len(numbers))
            os.set_blocking(write_end, False)
            if os.write(write_end, numbers) == len(numbers):
                self.pipe = read_end
        except OSError:     # larger than a pipe may be here
            pass
        finally:
            os.close(write_end)
            if self.pipe is None:
                os.close(read_end)

    def take(self) -> int | None:
        """The next number, or None once all are given."""
        if self.pipe is not None:
            got = os.read(self.pipe, 4)
            return int.from_bytes(got, sys.byteorder) if len(got) == 4 else None
        number = 2 * self.given + (os.getpid() != self.owner)
        self.given += 1
        return number if number < self.count else None

    def close(self) -> None:
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
