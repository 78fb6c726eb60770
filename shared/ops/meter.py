"""Progress of a long command: a rich bar with the rate and the time left on a terminal, and
a plain line every few seconds otherwise (a log file, a CI job), with the same figures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

PLAIN_EVERY = 5.0  # seconds between two plain lines


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} events/s", style="cyan")


class Meter:
    """`meter(n)`: n more events done; `meter.reach(n)`: n done in all (a position, on a store
    whose positions count events)."""

    def __init__(self, bar: Progress, task: TaskID, label: str, console: Console) -> None:
        self._bar, self._task, self._label, self._console = bar, task, label, console
        self._plain = not console.is_terminal
        self._last_line = time.monotonic()

    def __call__(self, events: int) -> None:
        self._bar.advance(self._task, events)
        self._maybe_line()

    def reach(self, done: int) -> None:
        if done > self._bar.tasks[self._task].completed:
            self._bar.update(self._task, completed=done)
        self._maybe_line()

    def _maybe_line(self, *, last: bool = False) -> None:
        if not self._plain or (not last and time.monotonic() - self._last_line < PLAIN_EVERY):
            return
        self._last_line = time.monotonic()
        self._console.print(self.line(), highlight=False, soft_wrap=True)

    def line(self) -> str:
        task = self._bar.tasks[self._task]
        done = f"{task.completed:,.0f}"
        if task.total:
            done += f" of {task.total:,.0f} events ({task.completed / task.total:.0%})"
        else:
            done += " events"
        speed = task.finished_speed or task.speed
        parts = [f"{self._label}: {done}", f"{speed:,.0f} events/s" if speed else None]
        remaining = task.time_remaining
        if remaining is not None and not task.finished:
            parts.append(f"ETA {timedelta(seconds=round(remaining))}")
        parts.append(f"elapsed {timedelta(seconds=round(task.elapsed or 0))}")
        return ", ".join(p for p in parts if p)

    def finish(self) -> None:
        self._maybe_line(last=True)


@contextmanager
def progress_bar(label: str, total: int | None, console: Console) -> Iterator[Meter]:
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    # Off a terminal rich would draw the bar once, at the end: plain lines say it instead.
    with Progress(*columns, console=console, transient=False,
                  disable=not console.is_terminal) as bar:  # fmt: skip
        meter = Meter(bar, bar.add_task(label, total=total), label, console)
        yield meter
        meter.finish()
