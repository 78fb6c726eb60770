"""Blocking calls (the store, a commit) run off the event loop, on threads of their own.

`blocking(f, *args)` is what an async endpoint awaits instead of calling `f`: the event loop
goes on serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
# As many as anyio gives sync endpoints: a request waiting on a commit holds one.
MAX_BLOCKING_THREADS = 40


class _Threads:
    """Threads that run blocking calls and answer straight on the loop's future.

    `loop.run_in_executor` wraps each call in a `concurrent.futures.Future` (a lock, a
    condition) chained to an asyncio future by callbacks on both sides; this skips that: one
    queue put, one `call_soon_threadsafe` back. Threads start when none is idle, up to
    `limit`, and stay."""

    def __init__(self, limit: int, name: str) -> None:
        self._limit = limit
        self._name = name
        self._work: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, work: Callable[[], object]) -> None:
        with self._lock:
            if self._idle > 0:
                self._idle -= 1  # claimed: the next submit will not count on it
            elif self._threads < self._limit:
                name = f"{self._name}_{self._threads}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
                self._threads += 1
        self._work.put(work)

    def _serve(self) -> None:
        while True:
            self._work.get()()
            with self._lock:
                self._idle += 1


_BLOCKING_CALLS = _Threads(MAX_BLOCKING_THREADS, "requests")


def _settle(future: asyncio.Future[R], result: R | None, error: BaseException | None) -> None:
    if future.done():  # the request was cancelled meanwhile (its client went away)
        return
    if error is None:
        future.set_result(result)  # type: ignore[arg-type]
    else:
        future.set_exception(error)


async def blocking(function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Runs a call that waits (on the store, on a commit) off the event loop, in the caller's
    context (its request id for the logs).

    A sync endpoint costs the event loop two anyio hand-offs (the call, then the response's
    validation) that took a quarter of its time on the hot write path (bench/RESULTS.md): an
    async endpoint awaits this one hand-off instead."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[R] = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            result = context.run(function, *args, **kwargs)
        except BaseException as error:
            answer: tuple[R | None, BaseException | None] = (None, error)
        else:
            answer = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(_settle, future, *answer)

    _BLOCKING_CALLS.submit(work)
    return await future
