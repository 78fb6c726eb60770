"""What a bank statement says, as plain data, whichever format it came in.

A parser (`coda.py`, `camt053.py`) reads the bank's file into `BankStatement`s and refuses the
whole file with a `StatementFormatError` at the first rule it breaks: no partial result, so an
import never records half a statement. Money is integer cents, credit positive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum import iban as stdnum_iban

# Bounds on one file. The service limits the request body first; the parsers check again so
# that they are safe on their own. 10,000 movements is a year of a busy account, per file.
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_MOVEMENTS = 10_000

StatementFormat = Literal["coda", "camt.053"]


class StatementFormatError(ValueError):
    """The file breaks a rule of its format: `where` is the line or element, `reason` the rule."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class BankMovement:
    sequence: str  # unique inside its statement
    amount_cents: int  # credit positive, debit negative
    value_date: date
    entry_date: date
    structured_reference: str | None  # "+++123/4567/89002+++", only when the check digits hold
    communication: str | None
    counterparty_name: str | None
    counterparty_account: str | None  # IBAN or account number, no spaces
    counterparty_bic: str | None
    bank_reference: str | None


@dataclass(frozen=True)
class BankStatement:
    format: StatementFormat
    account_iban: str  # no spaces; a foreign non-IBAN account number as the bank gives it
    currency: str
    sequence: str
    statement_date: date
    opening_balance_cents: int  # signed, debit negative
    closing_balance_cents: int
    movements: tuple[BankMovement, ...]
    message_id: str | None  # camt GrpHdr/MsgId; None for CODA

    def movements_total_cents(self) -> int:
        return sum(movement.amount_cents for movement in self.movements)

    def reconciles(self) -> bool:
        """opening + Σ movements == closing: the parsers refuse a statement where it does not."""
        return self.opening_balance_cents + self.movements_total_cents() == (
            self.closing_balance_cents
        )


# A Belgian structured communication (OGM/VCS): 10 digits and a 2-digit check, the 10 digits
# mod 97, 97 when that is 0. Written +++123/4567/89002+++ or ***123/4567/89002***.
_WRITTEN_OGM = re.compile(r"(\+{3}|\*{3})\s*(\d{3})\s*/\s*(\d{4})\s*/\s*(\d{5})\s*\1")
_BARE_OGM = re.compile(r"\d{12}")


def structured_reference(digits: str) -> str | None:
    """12 digits → "+++ddd/dddd/ddddd+++" when the check digits hold, else None."""
    if not _BARE_OGM.fullmatch(digits):
        return None
    check = int(digits[:10]) % 97 or 97
    if check != int(digits[10:]):
        return None
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def reference_in(text: str | None) -> str | None:
    """The valid OGM a creditor reference or a free communication carries, else None.

    Accepts "+++ddd/dddd/ddddd+++" or "***…***" anywhere in the text, or a text that is only
    12 digits (spaces, slashes and the +++ / *** marks around them allowed).
    """
    if not text:
        return None
    for found in _WRITTEN_OGM.finditer(text):
        reference = structured_reference("".join(found.group(2, 3, 4)))
        if reference is not None:
            return reference
    bare = re.sub(r"[\s/+*]", "", text)
    return structured_reference(bare) if len(bare) == 12 else None


def cleaned(text: str | None) -> str | None:
    """Runs of white space as one space, stripped; None when nothing is left."""
    if text is None:
        return None
    joined = " ".join(text.split())
    return joined or None


def valid_iban(number: str) -> str | None:
    """The compact IBAN when its mod 97 check holds, else None.

    stdnum's country rules are not asked: they include a table of bank codes, and a bank
    newer than the table must not make its customer's genuine statement unreadable.
    """
    try:
        compact: str = stdnum_iban.validate(number, check_country=False)
    except ValueError:
        return None
    return compact
