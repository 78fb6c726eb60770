"""A relay to the outside world: a reaction hands events to an outbox, a poller records the
answers the outside world gives back (ONSS for DIMONA, an access point for invoices).

Subclasses say what to send (`react`) and how to record what came back (`record_answers`);
the lifecycle — a reaction, one polling thread, and the read-only `follow()` of the HTTP
process — is this class's.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from pathlib import Path

from shared.events.base import Envelope
from shared.eventstore.port import EventStore
from shared.eventstore.reactions import ReactionRunner

log = logging.getLogger(__name__)


class OutboxRelay(ABC):
    def __init__(
        self,
        store: EventStore,
        name: str,
        types: tuple[str, ...],
        checkpoint_db: Path | str,
        *,
        poll_interval: float = 1.0,
    ) -> None:
        self.name = name
        self.poll_interval = poll_interval
        self.reaction = ReactionRunner(store, name, types, self.react, checkpoint_db)
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name=f"{name}-answers", daemon=True)

    @abstractmethod
    def react(self, envelope: Envelope) -> None:
        """Hand one event to the outbox (at least once: the outbox is keyed)."""

    @abstractmethod
    def record_answers(self) -> int:
        """Record what the outside world answered since the last poll; how many events."""

    def _poll(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            try:
                self.record_answers()
            except Exception:
                log.exception("%s: recording answers failed; retrying", self.name)

    def start(self) -> None:
        self.reaction.start()
        self._poller.start()

    def follow(self) -> None:
        """The background process relays: this one only reports how far it got."""
        self.reaction.follow()

    def stop(self) -> None:
        self._stopping.set()
        if self._poller.ident is not None:
            self._poller.join(timeout=10)
        self.reaction.stop()

    def status(self) -> dict[str, object]:
        return self.reaction.status()
