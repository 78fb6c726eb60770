"""The DIMONA port and its default adapter: an outbox that answers as the ONSS would.

No network call is made. Each declaration is recorded as it would be POSTed to the ONSS,
its worker's NISS still sealed (`shared.personal`): it is opened only on its way out, here when
the ONSS's checks are played, so the outbox holds no clear personal data.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from stdnum.be import ssn

from shared.clock import Clock
from shared.personal import reveal


@dataclass(frozen=True)
class DimonaAnswer:
    declaration_id: str
    result: Literal["A", "W", "B"]
    period_id: int | None
    anomalies: tuple[str, ...]
    answered_on: date


class DimonaGateway(Protocol):
    """The port to the social-security DIMONA service."""

    def submit(self, declaration_id: str, payload: dict[str, Any]) -> None:
        """Hand over a declaration; submitting the same id twice sends it once."""
        ...

    def answers(self) -> list[DimonaAnswer]:
        """Answers received and not yet acknowledged."""
        ...

    def acknowledge(self, declaration_ids: Sequence[str]) -> None:
        """These answers are recorded: they are not given again."""
        ...


class OutboxDimonaGateway:
    """The default adapter: no network call. Each declaration is recorded in an outbox table
    exactly as it would be POSTed, and answered the way the ONSS answers the checks it makes
    on the body itself (valid SSIN, period in order, a period id for changes)."""

    def __init__(self, db_path: Path | str, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS dimona_outbox (declaration_id TEXT PRIMARY KEY,"
            " payload TEXT NOT NULL, submitted_at TEXT NOT NULL, status TEXT NOT NULL,"
            " result TEXT, period_id INTEGER, anomalies TEXT, answered_on TEXT)"
        )
        # Each poll looks for the few declarations still open among all those ever sent.
        self._conn.execute(
            "CREATE INDEX IF NOT EXISTS dimona_outbox_by_status ON dimona_outbox (status)"
        )

    def submit(self, declaration_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO dimona_outbox (declaration_id, payload, submitted_at,"
                " status) VALUES (?, ?, ?, 'sent')",
                (declaration_id, json.dumps(payload, sort_keys=True), self.clock.now().isoformat()),
            )

    def answers(self) -> list[DimonaAnswer]:
        today = self.clock.today()
        # One transaction, one flush, however many declarations it answers.
        with self._lock, self._transaction():
            sent = self._conn.execute(
                "SELECT declaration_id, payload FROM dimona_outbox WHERE status = 'sent'"
            ).fetchall()
            for declaration_id, payload in sent:
                result, period_id, anomalies = _onss_answer(
                    declaration_id, reveal(json.loads(payload))
                )
                self._conn.execute(
                    "UPDATE dimona_outbox SET status = 'answered', result = ?, period_id = ?,"
                    " anomalies = ?, answered_on = ? WHERE declaration_id = ?",
                    (result, period_id, json.dumps(anomalies), today.isoformat(), declaration_id),
                )
            rows = self._conn.execute(
                "SELECT declaration_id, result, period_id, anomalies, answered_on"
                " FROM dimona_outbox WHERE status = 'answered' ORDER BY rowid"
            ).fetchall()
        return [
            DimonaAnswer(d, r, p, tuple(json.loads(a)), date.fromisoformat(on))
            for d, r, p, a, on in rows
        ]

    def acknowledge(self, declaration_ids: Sequence[str]) -> None:
        with self._lock, self._transaction():
            self._conn.executemany(
                "UPDATE dimona_outbox SET status = 'acknowledged' WHERE declaration_id = ?",
                [(declaration_id,) for declaration_id in declaration_ids],
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def sent(self, declaration_id: str) -> dict[str, Any] | None:
        """What was handed over for `declaration_id` (for operators and tests)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT payload FROM dimona_outbox WHERE declaration_id = ?", (declaration_id,)
            ).fetchone()
        return None if row is None else dict(reveal(json.loads(row[0])))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _onss_answer(
    declaration_id: str, payload: dict[str, Any]
) -> tuple[Literal["A", "B"], int | None, list[str]]:
    anomalies = []
    if "dimonaIn" in payload:
        if not ssn.is_valid(str(payload.get("worker", {}).get("ssin", ""))):
            anomalies.append("worker.ssin: not a valid SSIN")
        period = payload["dimonaIn"]
        if period.get("endDate", "") < period.get("startDate", ""):
            anomalies.append("dimonaIn.endDate: before startDate")
        # The ONSS gives the declared period a number; a deterministic one keeps replays equal.
        digest = hashlib.sha256(declaration_id.encode()).hexdigest()
        period_id = int(digest[:12], 16) % 10**12
    else:
        ((_, body),) = payload.items()
        period_id = body.get("periodId")
        if period_id is None:
            anomalies.append("periodId: missing")
    if anomalies:
        return "B", None, anomalies
    return "A", period_id, anomalies
