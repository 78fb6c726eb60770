"""Where the people's keys live, beside the event store: one row a person.

Erasing a person empties their row (the row stays, dated, so a late event for them is sealed
as erased rather than under a new key). `secure_delete` zeroes the freed bytes and the
rollback journal is removed at each commit, so an erased key is not left in the file.
Losing this file loses every personal value it protects: back it up with the event store
(`python -m shared.ops keys export`).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from shared.personal.tokens import new_key


@dataclass(frozen=True, slots=True)
class KeyRow:
    subject: str
    key: bytes | None  # None: erased
    created_at: str
    erased_at: str | None


class KeyStore(Protocol):
    def key(self, subject: str, *, create: bool) -> bytes | None:
        """The subject's key; created when missing and `create`; None when erased or absent."""
        ...

    def erase(self, subject: str) -> None: ...

    def is_erased(self, subject: str) -> bool: ...

    def changed_elsewhere(self) -> bool:
        """True when another process wrote since the last call (cached keys may be stale)."""
        ...

    def rows(self) -> list[KeyRow]: ...

    def restore(self, rows: list[KeyRow]) -> int: ...

    def close(self) -> None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SQLiteKeyStore:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        for pragma in (
            "PRAGMA journal_mode=DELETE",
            "PRAGMA synchronous=FULL",  # a key must be on disk before the event it seals
            "PRAGMA secure_delete=ON",
            "PRAGMA busy_timeout=10000",
        ):
            self._db.execute(pragma)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS person_keys (subject TEXT PRIMARY KEY, key BLOB,"
            " created_at TEXT NOT NULL, erased_at TEXT)"
        )
        self._version = self._data_version()

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def key(self, subject: str, *, create: bool) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT key, erased_at FROM person_keys WHERE subject = ?", (subject,)
            ).fetchone()
            if row is not None or not create:
                return None if row is None else row[0]
            self._db.execute(
                "INSERT OR IGNORE INTO person_keys (subject, key, created_at) VALUES (?, ?, ?)",
                (subject, new_key(), _now()),
            )
            # Another process may have won the insert: its key is the key.
            stored = self._db.execute(
                "SELECT key FROM person_keys WHERE subject = ?", (subject,)
            ).fetchone()
            return stored[0] if stored else None

    def erase(self, subject: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO person_keys (subject, key, created_at, erased_at) VALUES (?, NULL,"
                " ?, ?) ON CONFLICT (subject) DO UPDATE SET key = NULL,"
                " erased_at = COALESCE(erased_at, excluded.erased_at)",
                (subject, _now(), _now()),
            )

    def is_erased(self, subject: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT erased_at FROM person_keys WHERE subject = ?", (subject,)
            ).fetchone()
        return row is not None and row[0] is not None

    def changed_elsewhere(self) -> bool:
        with self._lock:
            version = self._data_version()
            changed, self._version = version != self._version, version
        return changed

    def rows(self) -> list[KeyRow]:
        with self._lock:
            found = self._db.execute(
                "SELECT subject, key, created_at, erased_at FROM person_keys ORDER BY subject"
            ).fetchall()
        return [KeyRow(s, None if k is None else bytes(k), c, e) for s, k, c, e in found]

    def restore(self, rows: list[KeyRow]) -> int:
        """Adds the rows this store lacks (a restore into a fresh store); returns how many."""
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO person_keys (subject, key, created_at, erased_at)"
                    " VALUES (?, ?, ?, ?)",
                    [(r.subject, r.key, r.created_at, r.erased_at) for r in rows],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return self._db.total_changes - before

    def close(self) -> None:
        with self._lock:
            self._db.close()
