"""A daemon thread that calls one function every `interval` seconds: the schedulers' loop
(payment runs, erasures, quote expiry), written once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("coop.ticking")


class Ticker:
    def __init__(self, name: str, tick: Callable[[], object], interval: float) -> None:
        self.name = name
        self.tick = tick
        self.interval = interval
        self.running = False
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        # The first tick comes after one interval: an app that starts and stops at once (tests,
        # a rolling restart) never begins a tick half-way.
        while not self._stopping.wait(self.interval):
            try:
                self.tick()
                self.last_error = None
            except Exception as error:
                self.last_error = repr(error)
                log.exception("%s failed; retrying at the next tick", self.name)

    def start(self) -> None:
        self.running = True
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)
