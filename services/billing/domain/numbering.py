"""Gapless yearly number series (`2026-000123`): one for invoices, one for credit notes.

The series is a stream of its own per year; the document that takes a number and the number
are appended together, each stream at the version it was read at, so two concurrent issuers
can never take the same number and a failed append leaves no gap. A number is never dated
before the previous one: the series follows the dates, as the law asks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.billing.domain.errors import NumberDatedBeforePrevious
from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.billing import CreditNoteNumberAssigned, InvoiceNumberAssigned

_DIGITS = 6


@dataclass(frozen=True)
class Numbering:
    last_sequence: int = 0
    last_date: dt.date | None = None


def format_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:0{_DIGITS}d}"


def next_sequence(state: Numbering, year: int, issue_date: dt.date) -> int:
    """The sequence the next document of `year` dated `issue_date` takes."""
    if issue_date.year != year:
        raise ValueError(f"a number of {year} cannot be dated {issue_date}")
    if state.last_date is not None and issue_date < state.last_date:
        raise NumberDatedBeforePrevious(
            f"number {format_number(year, state.last_sequence)} is dated {state.last_date};"
            f" the next one cannot be dated {issue_date}"
        )
    return state.last_sequence + 1


def assign_invoice_number(
    state: Numbering, invoice_id: str, issue_date: dt.date
) -> InvoiceNumberAssigned:
    year = issue_date.year
    sequence = next_sequence(state, year, issue_date)
    return InvoiceNumberAssigned(
        year=year,
        sequence=sequence,
        number=format_number(year, sequence),
        invoice_id=invoice_id,
        issue_date=issue_date,
    )


def assign_credit_note_number(
    state: Numbering, credit_note_id: str, issue_date: dt.date
) -> CreditNoteNumberAssigned:
    year = issue_date.year
    sequence = next_sequence(state, year, issue_date)
    return CreditNoteNumberAssigned(
        year=year,
        sequence=sequence,
        number=format_number(year, sequence),
        credit_note_id=credit_note_id,
        issue_date=issue_date,
    )


def _evolve(state: Numbering, event: DomainEvent) -> Numbering:
    match event:
        case InvoiceNumberAssigned() | CreditNoteNumberAssigned():
            return Numbering(event.sequence, event.issue_date)
    return state


def _decided_elsewhere(command: object, state: Numbering) -> list[DomainEvent]:
    # Numbers are taken inside the document's decision (handle_many), never on their own.
    return []


numbering_decider: Decider[object, Numbering] = Decider(Numbering, _decided_elsewhere, _evolve)
