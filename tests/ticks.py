"""A monotonic clock the test moves by hand: refresh intervals without sleeping."""

from __future__ import annotations


class Ticks:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds
