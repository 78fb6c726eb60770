"""A bank statement imported once (`bankstatement-<statement_id>`).

The id derives from the account, the statement's sequence number and its date, so importing
the same statement again finds the stream and records nothing twice; payments take ids from
the statement and the movement's sequence for the same reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.billing import BankStatementImported


def statement_id_of(account_iban: str, sequence: str, statement_date: dt.date) -> str:
    compact = "".join(account_iban.split()).upper()
    key = f"{compact}/{sequence.strip()}/{statement_date.isoformat()}"
    return "S" + hashlib.sha256(key.encode()).hexdigest()[:32]


def movement_payment_id(statement_id: str, movement_sequence: str) -> str:
    return f"P{statement_id[1:]}-{movement_sequence.strip()}"


@dataclass(frozen=True)
class NoStatement:
    pass


StatementState = NoStatement | BankStatementImported


def _evolve(state: StatementState, event: DomainEvent) -> StatementState:
    return event if isinstance(event, BankStatementImported) else state


def _decide(command: BankStatementImported, state: StatementState) -> list[DomainEvent]:
    return [] if isinstance(state, BankStatementImported) else [command]


statement_decider: Decider[BankStatementImported, StatementState] = Decider(
    NoStatement, _decide, _evolve
)
