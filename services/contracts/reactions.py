"""Policies of the contracts service: DIMONA transmission and the quote-expiry sweep.

DIMONA: every DimonaDeclared is handed to a gateway (at least once; the gateway keys its
outbox on the declaration id), and the gateway's answers come back as RecordDimonaAnswer
commands (recording the same answer twice changes nothing).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from stdnum.be import ssn

from services.contracts.dimona import with_period_id
from services.contracts.domain import (
    Declaration,
    DimonaAlreadyAnswered,
    NoPrestation,
    PrestationClosed,
    QuoteStillValid,
    RecordDimonaAnswer,
)
from services.contracts.handlers import ContractsHandlers, prestation_id_from
from shared.clock import Clock
from shared.events.base import Context, Envelope
from shared.events.contracts import DimonaDeclared
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.reactions import ReactionRunner, RetryLater

log = logging.getLogger(__name__)


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

    def acknowledge(self, declaration_id: str) -> None: ...


class DeclarationNotReady(RetryLater):
    """An UPDATE or CANCEL whose IN has no ONSS period id yet: retried later."""


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

    def submit(self, declaration_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO dimona_outbox (declaration_id, payload, submitted_at,"
                " status) VALUES (?, ?, ?, 'sent')",
                (declaration_id, json.dumps(payload, sort_keys=True), self.clock.now().isoformat()),
            )

    def answers(self) -> list[DimonaAnswer]:
        today = self.clock.today()
        with self._lock:
            sent = self._conn.execute(
                "SELECT declaration_id, payload FROM dimona_outbox WHERE status = 'sent'"
            ).fetchall()
            for declaration_id, payload in sent:
                result, period_id, anomalies = _onss_answer(declaration_id, json.loads(payload))
                self._conn.execute(
                    "UPDATE dimona_outbox SET status = 'answered', result = ?, period_id = ?,"
                    " anomalies = ?, answered_on = ? WHERE declaration_id = ?",
                    (result, period_id, json.dumps(anomalies), today.isoformat(), declaration_id),
                )
            rows = self._conn.execute(
                "SELECT declaration_id, result, period_id, anomalies, answered_on"
                " FROM dimona_outbox WHERE status = 'answered' ORDER BY submitted_at"
            ).fetchall()
        return [
            DimonaAnswer(d, r, p, tuple(json.loads(a)), date.fromisoformat(on))
            for d, r, p, a, on in rows
        ]

    def acknowledge(self, declaration_id: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE dimona_outbox SET status = 'acknowledged' WHERE declaration_id = ?",
                (declaration_id,),
            )

    def sent(self, declaration_id: str) -> dict[str, Any] | None:
        """What was handed over for `declaration_id` (for operators and tests)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT payload FROM dimona_outbox WHERE declaration_id = ?", (declaration_id,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

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


class DimonaRelay:
    """DimonaDeclared → gateway (a reaction); gateway answers → RecordDimonaAnswer (a poll)."""

    def __init__(
        self,
        handlers: ContractsHandlers,
        gateway: DimonaGateway,
        checkpoint_db: Path | str,
        *,
        poll_interval: float = 1.0,
    ) -> None:
        self.handlers = handlers
        self.gateway = gateway
        self.poll_interval = poll_interval
        self.reaction = ReactionRunner(
            handlers.store, "contracts-dimona-submit", ("DimonaDeclared",), self.submit,
            checkpoint_db,
        )  # fmt: skip
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="dimona-answers", daemon=True)

    def submit(self, envelope: Envelope) -> None:
        declared = envelope.event
        assert isinstance(declared, DimonaDeclared)
        payload = declared.payload
        if declared.kind != "IN" and declared.refers_to_declaration_id is not None:
            referred = self._declaration(declared.prestation_id, declared.refers_to_declaration_id)
            if referred is None or referred.status == "pending":
                raise DeclarationNotReady(f"{declared.declaration_id} waits for its IN's period")
            payload = with_period_id(payload, referred.period_id)
        self.gateway.submit(declared.declaration_id, payload)

    def _declaration(self, prestation_id: str, declaration_id: str) -> Declaration | None:
        state = self.handlers.prestation(prestation_id).state
        if isinstance(state, NoPrestation):
            return None
        return next(
            (d for d in state.prestation.declarations if d.declaration_id == declaration_id), None
        )

    def record_answers(self) -> int:
        recorded = 0
        for answer in self.gateway.answers():
            prestation_id = prestation_id_from(answer.declaration_id, "D")
            if prestation_id is None:
                log.error("DIMONA answer for an unknown declaration %s", answer.declaration_id)
                continue
            command = RecordDimonaAnswer(
                prestation_id=prestation_id,
                declaration_id=answer.declaration_id,
                result=answer.result,
                answered_on=answer.answered_on,
                period_id=answer.period_id,
                anomalies=answer.anomalies,
            )
            context = Context.new("system:onss", self.handlers.clock.now())
            try:
                self.handlers.record_dimona_answer(command, context)
                recorded += 1
            except DimonaAlreadyAnswered:
                pass  # a replayed answer: already recorded
            self.gateway.acknowledge(answer.declaration_id)
        return recorded

    def _poll(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            try:
                self.record_answers()
            except Exception:
                log.exception("recording DIMONA answers failed; retrying")

    def start(self) -> None:
        self.reaction.start()
        self._poller.start()

    def stop(self) -> None:
        self._stopping.set()
        self._poller.join(timeout=10)
        self.reaction.stop()

    def status(self) -> dict[str, object]:
        return self.reaction.status()


class QuoteExpirySweep:
    """No acceptance before the first day: the quote expires, the contract and the DIMONA are
    cancelled. Runs every `interval` seconds on the date the clock gives."""

    def __init__(
        self,
        handlers: ContractsHandlers,
        views: ProjectionRunner,
        due: Callable[[sqlite3.Connection, date], list[str]],
        *,
        interval: float = 60.0,
    ) -> None:
        self.handlers = handlers
        self.views = views
        self.due = due
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="quote-expiry", daemon=True)

    def run_once(self) -> list[str]:
        today = self.handlers.clock.today()
        self.views.wait_for(self.handlers.store.head())
        with self.views.read() as conn:
            due = self.due(conn, today)
        expired = []
        for prestation_id in due:
            context = Context.new("system:quote-expiry", self.handlers.clock.now())
            try:
                if self.handlers.expire(prestation_id, today, context).events:
                    expired.append(prestation_id)
            except (QuoteStillValid, PrestationClosed):
                pass  # the view lagged behind an amendment or a cancellation
        return expired

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                log.exception("quote expiry sweep failed; retrying at the next tick")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
