"""`blocking`: calls that wait run on request threads and answer the awaiting request."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from shared.http.threads import _Threads, blocking

LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("label", default="none")


def where(suffix: str) -> tuple[str, str]:
    return threading.current_thread().name, LABEL.get() + suffix


@pytest.mark.anyio
async def test_a_call_runs_on_a_request_thread_in_the_callers_context() -> None:
    LABEL.set("request-7")

    thread, label = await blocking(where, suffix="!")

    assert thread.startswith("requests_")
    assert thread != threading.current_thread().name
    assert label == "request-7!"


@pytest.mark.anyio
async def test_an_error_reaches_the_awaiting_request() -> None:
    def fails() -> None:
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        await blocking(fails)


@pytest.mark.anyio
async def test_a_cancelled_request_leaves_the_thread_serving() -> None:
    started, release = threading.Event(), threading.Event()

    def waits() -> str:
        started.set()
        release.wait(10)
        return "late"

    task = asyncio.ensure_future(blocking(waits))
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()

    assert await blocking(lambda: "next") == "next"


def test_threads_start_only_when_none_is_idle_and_up_to_the_limit() -> None:
    threads = _Threads(limit=2, name="test")
    gate, done = threading.Event(), threading.Semaphore(0)

    def held() -> None:
        gate.wait(10)
        done.release()

    for _ in range(3):  # two threads, the third call waits for one of them
        threads.submit(held)
    assert sorted(t.name for t in threading.enumerate() if t.name.startswith("test_")) == [
        "test_0",
        "test_1",
    ]
    gate.set()
    for _ in range(3):
        assert done.acquire(timeout=10)
