"""The background (projections, reactions, schedulers) in a process of its own.

One interpreter runs Python one thread at a time: with the background beside the requests,
each encoding also paid, on the same lock, for the projections and the DIMONA relay it causes.
With `COOP_BACKGROUND=process` the HTTP process only follows what the background writes (see
`ProjectionRunner.follow`), and a child process started and watched from here runs every
component for real. Both share the data directory; the store is safe for several processes.

Exactly one set of background components may run over a data directory: two would fold the
same events twice into the same read models. `background_lock` is an exclusive lock on a file
there, held for the life of whoever runs them (released by the kernel if that process dies).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

log = logging.getLogger(__name__)

LOCK_NAME = "background.lock"
# A child that exits is started again after this long, doubling up to the maximum.
RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0
# A child that lived this long had started well: its next failure starts the delays over.
HEALTHY_AFTER = 60.0
# The HTTP process's pid, in the child's environment: the child may start after its parent
# died (killed while the child was still importing), when its parent is already init.
PARENT_VARIABLE = "COOP_BACKGROUND_PARENT"


class Component(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def follows(component: object) -> bool:
    """Whether the component has a read-only side for a process that does not run it."""
    return callable(getattr(component, "follow", None))


def start_side(component: Component, *, background_elsewhere: bool) -> None:
    follow: Callable[[], None] | None = getattr(component, "follow", None)
    if background_elsewhere and follow is not None:
        follow()
    else:
        component.start()


@contextmanager
def background_lock(data_dir: Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the data directory's background lock; waits for a previous holder (a child whose
    parent was killed exits within a second) and gives up after `timeout`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes] = open(data_dir / LOCK_NAME, "ab")  # noqa: SIM115 (held until the end)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process runs the background over {data_dir}"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()  # releases the lock


class BackgroundProcess:
    """A component of the HTTP process: starts the child, starts it again when it exits
    (with growing delays), stops it with SIGTERM then SIGKILL. Its `status` is a readiness
    check: not ready while no child runs."""

    name = "background-process"

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.restarts = 0
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="background-watch", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                environment = {**self.env, PARENT_VARIABLE: str(os.getpid())}
                self._child = subprocess.Popen(self.argv, env=environment)
                self._started_at = time.monotonic()

    def _watch(self) -> None:
        delay = RESTART_DELAY
        while not self._stopping.is_set():
            child = self._child
            if child is None:
                return
            code = child.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - self._started_at > HEALTHY_AFTER:
                delay = RESTART_DELAY
            log.error("background process exited with %s; starting it again in %.1f s", code, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_DELAY)
            self.restarts += 1
            self._spawn()

    def status(self) -> dict[str, object]:
        child = self._child
        alive = child is not None and child.poll() is None
        return {
            "name": self.name,
            "caught_up": alive,
            "pid": child.pid if child is not None else None,
            "restarts": self.restarts,
        }

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._watcher.ident is not None:
            self._watcher.join(timeout=5)


def lower_priority(increment: int) -> None:
    """Makes this process (and every thread it starts afterwards) `increment` nicer.

    The HTTP process runs Python one thread at a time: when the kernel preempts the thread
    holding that lock to run a background thread on the same core, every request waits for it.
    Niced, the background runs on what the requests leave idle; the bench checks that it still
    reaches the head within seconds of a load (`bench/RESULTS.md`)."""
    if increment:
        os.nice(increment)


def serve_background(
    components: Sequence[Component], data_dir: Path, environ: Mapping[str, str] = os.environ
) -> None:
    """The child's main loop: hold the lock, start every component, run until SIGTERM or
    SIGINT, or until the parent is gone (a SIGKILLed parent sends nothing), then stop them."""
    stopping = threading.Event()
    expected = environ.get(PARENT_VARIABLE, "")
    parent = int(expected) if expected.isdigit() else os.getppid()
    if os.getppid() != parent:
        log.warning("the HTTP process is gone before the background started; it stops")
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    with background_lock(data_dir):
        started: list[Component] = []
        try:
            for component in components:
                component.start()
                started.append(component)
            while not stopping.wait(0.2):
                if os.getppid() != parent:
                    log.warning("the HTTP process is gone; the background stops")
                    break
        finally:
            for component in reversed(started):
                component.stop()
