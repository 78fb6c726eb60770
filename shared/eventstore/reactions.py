"""Reactions: an event from elsewhere becomes a command here, at least once.

The checkpoint is saved after the reaction succeeded, so a crash in between replays the event;
reactions make that harmless with deterministic event ids and expected versions. A failing
reaction is retried with back-off and never skipped: the events behind it wait.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from shared.events.base import Envelope
from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventFilter, EventStore, Position

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised by a reaction whose precondition is not met yet (not a failure): it is retried
    with the same back-off, logged without a traceback."""


class ReactionRunner:
    def __init__(
        self,
        store: EventStore,
        name: str,
        types: tuple[str, ...],
        react: Callable[[Envelope], None],
        checkpoint_db: Path | str,
        *,
        max_backoff: float = 30.0,
    ) -> None:
        self.store = store
        self.name = name
        self.filter = EventFilter(types=types)
        self.react = react
        self.max_backoff = max_backoff
        self._conn = sqlite3.connect(
            checkpoint_db, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS reaction_checkpoints"
            " (name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
        )
        row = self._conn.execute(
            "SELECT position FROM reaction_checkpoints WHERE name = ?", (name,)
        ).fetchone()
        self.position: Position = START if row is None else row[0]
        self.failure: str | None = None
        self._stopping = threading.Event()
        self._subscription = store.subscribe(after=self.position, filter=self.filter)
        self._thread = threading.Thread(target=self._run, name=f"reaction-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        for recorded in self._subscription:
            self._react_until_done(decode(recorded))
            if self._stopping.is_set():
                return
            self.position = recorded.position
            self._conn.execute(
                "INSERT INTO reaction_checkpoints VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (self.name, self.position),
            )

    def _react_until_done(self, envelope: Envelope) -> None:
        delay = 0.1
        while not self._stopping.is_set():
            try:
                self.react(envelope)
                self.failure = None
                return
            except RetryLater as waiting:
                log.info("reaction %s waits on %s: %s", self.name, envelope.id, waiting)
            except Exception as error:
                self.failure = f"{envelope.type} at {envelope.position}: {error!r}"
                log.exception("reaction %s failed on %s; retrying", self.name, envelope.id)
            self._stopping.wait(delay)
            delay = min(delay * 2, self.max_backoff)

    def status(self) -> dict[str, object]:
        head = self.store.head()
        return {
            "name": self.name,
            "position": self.position,
            "head": head,
            "caught_up": self.failure is None,
            "failed": self.failure,
        }

    def stop(self) -> None:
        self._stopping.set()
        self._subscription.stop()
        self._thread.join(timeout=10)
        self._conn.close()
