"""How far each webhook got: one SQLite row per webhook, committed after every delivery, so a
restart goes on after the last event delivered (at least once: the event in flight when it
stopped is sent again, with the same `webhook-id` for the receiver to drop)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from shared.eventstore.port import START, Position

SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    webhook_id TEXT PRIMARY KEY,
    after_position INTEGER NOT NULL,
    resumes_applied INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
"""


@dataclass(frozen=True, slots=True)
class Progress:
    webhook_id: str
    after_position: Position = START
    resumes_applied: int = 0
    attempts: int = 0  # failures in a row on the next event
    delivered: int = 0
    last_error: str | None = None


class ProgressStore:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(SCHEMA)
            conn.commit()
            self._conn = conn
        return self._conn

    def get(self, webhook_id: str) -> Progress | None:
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT webhook_id, after_position, resumes_applied, attempts, delivered, "
                    "last_error FROM progress WHERE webhook_id = ?",
                    (webhook_id,),
                )
                .fetchone()
            )
        return None if row is None else Progress(*row)

    def save(self, progress: Progress) -> None:
        with self._lock:
            conn = self._connection()
            conn.execute(
                "INSERT OR REPLACE INTO progress VALUES (?, ?, ?, ?, ?, ?)",
                (
                    progress.webhook_id,
                    progress.after_position,
                    progress.resumes_applied,
                    progress.attempts,
                    progress.delivered,
                    progress.last_error,
                ),
            )
            conn.commit()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
