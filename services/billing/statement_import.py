"""Importing a bank-statement file: every statement of it, and every payment it brings, in one
atomic append (`handle_many` over the statement streams, the invoices paid and the unmatched
payments queued). A crash or a refusal leaves nothing behind; a second import of the same
statement finds its stream and records nothing.

What a movement becomes:
- a credit on one of the cooperative's own accounts whose structured reference names an
  invoice → a `PaymentReceived` on that invoice (claims first, any excess a `CreditToRefund`);
- any other credit on an own account → an `UnmatchedPaymentReceived` carrying the reference,
  the communication and the counterparty, so ops (and other services: governance recognises
  its share purchases in it) can settle it;
- a debit, or any movement of another account → listed in the statement, matched to nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.billing.domain.invoice import ApplyPayment, InvoiceState, invoice_decider
from services.billing.domain.payment import ReceiveUnmatched, payment_decider
from services.billing.domain.statement import (
    NoStatement,
    movement_payment_id,
    statement_decider,
    statement_id_of,
)
from services.billing.ids import invoice_stream, payment_stream, statement_stream
from services.billing.statements import BankMovement, BankStatement, StatementFormatError
from shared.clock import Clock
from shared.decider import DomainError
from shared.events.base import Context, DomainEvent
from shared.events.billing import BankStatementImported, StatementMovement
from shared.eventstore.handling import Loaded, Part, handle_many
from shared.eventstore.port import EventStore


class MalformedStatement(DomainError):
    """The file breaks a rule of its format; `field` is the line (CODA) or element (XML)."""

    code = "malformed-statement"
    status = 422

    @classmethod
    def of(cls, error: StatementFormatError) -> MalformedStatement:
        return cls(f"{error.where}: {error.reason}", field=error.where)


@dataclass(frozen=True)
class ImportedStatement:
    """One statement of the file as the log holds it, and whether this import recorded it."""

    recorded: BankStatementImported
    new: bool


@dataclass(frozen=True)
class _Plan:
    """What the import means to append, decided before loading: which stream takes what."""

    statements: list[BankStatementImported]
    # invoice id → (statement id, payment) in file order; payment id → (statement id, queued)
    payments: dict[str, list[tuple[str, ApplyPayment]]]
    unmatched: dict[str, tuple[str, ReceiveUnmatched]]


def compact_account(account: str) -> str:
    return "".join(account.split()).upper()


_URL_SAFE = re.compile(r"[A-Za-z0-9_-]{1,24}")


def movement_key(sequence: str) -> str:
    """The movement's sequence as it can sit in a payment id and a URL path: kept when it is
    short and URL-safe ("0001", "GEBA-7711"), else a readable part and a digest of the whole
    ("0001.0002.1f3a9c"), which never equals a kept one (those hold no dot)."""
    if _URL_SAFE.fullmatch(sequence):
        return sequence
    readable = re.sub(r"[^A-Za-z0-9_-]", ".", sequence)[:16]
    return f"{readable}.{hashlib.sha256(sequence.encode()).hexdigest()[:6]}"


class StatementImporter:
    """`import_statements(statements, context)`: the whole file or nothing."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        invoice_by_reference: Callable[[str], str | None],
        own_accounts: Sequence[str],
    ) -> None:
        self.store = store
        self.clock = clock
        self.invoice_by_reference = invoice_by_reference
        self.own_accounts = frozenset(compact_account(account) for account in own_accounts)

    def import_statements(
        self, statements: Sequence[BankStatement], context: Context
    ) -> list[ImportedStatement]:
        plan = self._plan(statements)
        parts: list[Part[Any]] = [
            *(Part(statement_stream(s.statement_id), statement_decider) for s in plan.statements),
            *(Part(invoice_stream(invoice_id), invoice_decider) for invoice_id in plan.payments),
            *(Part(payment_stream(payment_id), payment_decider) for payment_id in plan.unmatched),
        ]
        count = len(plan.statements)

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            # A statement imported before brings nothing again, not even a payment that would
            # match an invoice now: its movement is in the unmatched queue already.
            new = {
                statement.statement_id
                for statement, part in zip(plan.statements, loaded[:count], strict=True)
                if isinstance(part.state, NoStatement)
            }
            decided: list[list[DomainEvent]] = [
                [statement] if statement.statement_id in new else []
                for statement in plan.statements
            ]
            invoices = loaded[count : count + len(plan.payments)]
            for payments, part in zip(plan.payments.values(), invoices, strict=True):
                decided.append(_payments_on(part.state, [p for s, p in payments if s in new]))
            queued = loaded[count + len(plan.payments) :]
            for (source, command), part in zip(plan.unmatched.values(), queued, strict=True):
                fresh = source in new
                decided.append(list(payment_decider.decide(command, part.state)) if fresh else [])
            return decided

        handled = handle_many(self.store, parts, decide, context)
        imported = []
        for statement, outcome in zip(plan.statements, handled[:count], strict=True):
            recorded = outcome.state if isinstance(outcome.state, BankStatementImported) else None
            imported.append(ImportedStatement(recorded or statement, bool(outcome.events)))
        return imported

    def _plan(self, statements: Sequence[BankStatement]) -> _Plan:
        today = self.clock.today()
        planned: dict[str, BankStatementImported] = {}
        payments: dict[str, list[tuple[str, ApplyPayment]]] = {}
        unmatched: dict[str, tuple[str, ReceiveUnmatched]] = {}
        for statement in statements:
            statement_id = statement_id_of(
                statement.account_iban, statement.sequence, statement.statement_date
            )
            if statement_id in planned:
                continue  # the same statement twice in one file: once is enough
            own = compact_account(statement.account_iban) in self.own_accounts
            movements = []
            for movement in statement.movements:
                payment_id, invoice_id = None, None
                if own and movement.amount_cents > 0:
                    payment_id = movement_payment_id(statement_id, movement_key(movement.sequence))
                    invoice_id = self._match(movement)
                    if invoice_id is None:
                        unmatched[payment_id] = (statement_id, _queued(payment_id, movement))
                    else:
                        payment = ApplyPayment(
                            payment_id, movement.amount_cents, movement.value_date,
                            movement.structured_reference, "bank-statement",
                        )  # fmt: skip
                        payments.setdefault(invoice_id, []).append((statement_id, payment))
                movements.append(_listed(movement, payment_id, invoice_id))
            planned[statement_id] = BankStatementImported(
                statement_id=statement_id,
                format=statement.format,
                account_iban=compact_account(statement.account_iban),
                sequence=statement.sequence,
                statement_date=statement.statement_date,
                opening_balance_cents=statement.opening_balance_cents,
                closing_balance_cents=statement.closing_balance_cents,
                movements=tuple(movements),
                own_account=own,
                imported_on=today,
            )
        return _Plan(list(planned.values()), payments, unmatched)

    def _match(self, movement: BankMovement) -> str | None:
        reference = movement.structured_reference
        return None if reference is None else self.invoice_by_reference(reference)


def _payments_on(state: InvoiceState, payments: Sequence[ApplyPayment]) -> list[DomainEvent]:
    """Several movements may pay one invoice: each is decided on the state the previous left."""
    events: list[DomainEvent] = []
    for payment in payments:
        for event in invoice_decider.decide(payment, state):
            events.append(event)
            state = invoice_decider.evolve(state, event)
    return events


def _queued(payment_id: str, movement: BankMovement) -> ReceiveUnmatched:
    return ReceiveUnmatched(
        payment_id=payment_id,
        amount_cents=movement.amount_cents,
        received_on=movement.value_date,
        structured_reference=movement.structured_reference,
        communication=movement.communication,
        counterparty_name=movement.counterparty_name,
        counterparty_account=movement.counterparty_account,
        source="bank-statement",
    )


def _listed(
    movement: BankMovement, payment_id: str | None, invoice_id: str | None
) -> StatementMovement:
    return StatementMovement(
        sequence=movement.sequence,
        amount_cents=movement.amount_cents,
        value_date=movement.value_date,
        entry_date=movement.entry_date,
        structured_reference=movement.structured_reference,
        communication=movement.communication,
        counterparty_name=movement.counterparty_name,
        counterparty_account=movement.counterparty_account,
        payment_id=payment_id,
        matched_invoice_id=invoice_id,
    )
