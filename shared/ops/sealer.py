"""The background component that keeps the hash chain's ledger and seals it every N events."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from shared.eventstore.port import EventStore
from shared.ops.chain import Ledger, extend

log = logging.getLogger(__name__)
SEAL_EVERY = 1000
INTERVAL = 1.0


class ChainSealer:
    name = "chain-sealer"

    def __init__(
        self, store: EventStore, ledger_path: Path, seal_every: int = SEAL_EVERY,
        interval: float = INTERVAL,
    ) -> None:  # fmt: skip
        self.store = store
        self.ledger_path = ledger_path
        self.seal_every = seal_every
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.links = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def follow(self) -> None:
        """The background process seals: this one does nothing."""

    def _run(self) -> None:
        ledger = Ledger(self.ledger_path)
        try:
            while not self._stopping.is_set():
                try:
                    self.links += extend(self.store, ledger, self.seal_every, "system:sealer")
                    self.last_error = None
                except Exception as error:  # the store went away: try again next round
                    self.last_error = repr(error)
                    log.warning("chain sealing failed: %r", error)
                self._stopping.wait(self.interval)
        finally:
            ledger.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def status(self) -> dict[str, object]:
        return {"name": self.name, "caught_up": True, "links_this_run": self.links,
                "last_error": self.last_error}  # fmt: skip
