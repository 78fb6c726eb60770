"""Policies of the contracts service: DIMONA transmission and the quote-expiry sweep.

DIMONA: every DimonaDeclared is handed to a gateway (at least once; the gateway keys its
outbox on the declaration id), and the gateway's answers come back as RecordDimonaAnswer
commands (recording the same answer twice changes nothing).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

from services.contracts.dimona import with_period_id
from services.contracts.dimona_gateway import DimonaAnswer, DimonaGateway
from services.contracts.domain import (
    Declaration,
    DimonaAlreadyAnswered,
    NoPrestation,
    PrestationClosed,
    QuoteStillValid,
    RecordDimonaAnswer,
)
from services.contracts.handlers import ContractsHandlers
from services.contracts.ids import prestation_id_from
from shared.decider import DomainError
from shared.events.base import Context, Envelope
from shared.events.contracts import DimonaDeclared
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.reactions import RetryLater
from shared.eventstore.relays import OutboxRelay
from shared.ticking import Ticker

log = logging.getLogger(__name__)

# Answers recorded in one append: one flush for them all.
ANSWER_BATCH = 500


class DeclarationNotReady(RetryLater):
    """An UPDATE or CANCEL whose IN has no ONSS period id yet: retried later."""


class DimonaRelay(OutboxRelay):
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
        super().__init__(
            handlers.store, "contracts-dimona-submit", ("DimonaDeclared",), checkpoint_db,
            poll_interval=poll_interval,
        )  # fmt: skip

    def react(self, envelope: Envelope) -> None:
        declared = envelope.event
        if not isinstance(declared, DimonaDeclared):
            return  # the subscription's filter lets nothing else through
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
        """Records the gateway's answers in batches, one append each (one per prestation in a
        batch); an answer already recorded (a replay) or to nothing known is acknowledged and
        skipped, with a log line for the latter."""
        recorded = 0
        for batch in _batches(self.gateway.answers()):
            commands = [(command, Context.new("system:onss", self.handlers.clock.now()))
                        for command in batch]  # fmt: skip
            outcomes = self.handlers.record_dimona_answers(commands)
            for command, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, DimonaAlreadyAnswered):
                    continue
                if isinstance(outcome, DomainError):
                    log.error("DIMONA answer %s refused: %s", command.declaration_id, outcome)
                    continue
                recorded += 1
            self.gateway.acknowledge([command.declaration_id for command in batch])
        return recorded


def _batches(answers: list[DimonaAnswer]) -> list[list[RecordDimonaAnswer]]:
    """The answers as commands, in batches of at most ANSWER_BATCH naming each prestation once
    (its declarations are answered in order, a batch after the other)."""
    batches: list[list[RecordDimonaAnswer]] = []
    open_batches: list[tuple[set[str], list[RecordDimonaAnswer]]] = []
    for answer in answers:
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
        for seen, batch in open_batches:
            if prestation_id not in seen and len(batch) < ANSWER_BATCH:
                seen.add(prestation_id)
                batch.append(command)
                break
        else:
            open_batches.append(({prestation_id}, [command]))
            batches.append(open_batches[-1][1])
    return batches


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
        self.ticker = Ticker("quote-expiry", self.run_once, interval)

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

    def start(self) -> None:
        self.ticker.start()

    def follow(self) -> None:
        """The background process sweeps."""

    def stop(self) -> None:
        self.ticker.stop()
