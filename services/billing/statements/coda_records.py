"""CODA records: one 128-character line read field by field, as Febelfin's standard numbers them.

Positions are 1-based and inclusive, as in "Coded statement of account (CODA)" version 2.6, so
each field below can be checked against the standard's tables. Every reader raises a
`StatementFormatError` on its line when a field breaks the standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum import iban as stdnum_iban

from services.billing.statements.model import StatementFormatError, valid_iban

RECORD_LENGTH = 128
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class Record:
    number: int  # the line in the file, 1-based
    text: str  # exactly 128 characters

    @property
    def kind(self) -> str:
        """ "0", "1", "21", "22", "23", "31", "32", "33", "4", "8" or "9"."""
        return self.text[:2] if self.text[0] in "23" else self.text[0]

    def fail(self, reason: str) -> StatementFormatError:
        return StatementFormatError(f"line {self.number}", reason)

    def field(self, first: int, last: int) -> str:
        return self.text[first - 1 : last]

    def text_field(self, first: int, last: int) -> str | None:
        stripped = self.field(first, last).strip()
        return stripped or None

    def digits(self, first: int, last: int, what: str) -> str:
        value = self.field(first, last)
        if not set(value) <= _DIGITS:
            raise self.fail(f"{what} (positions {first}-{last}) must be digits, not {value!r}")
        return value

    def choice(self, position: int, allowed: str, what: str) -> str:
        value = self.field(position, position)
        if value not in allowed:
            shown = " or ".join(repr(c) for c in allowed)
            raise self.fail(f"{what} (position {position}) must be {shown}, not {value!r}")
        return value

    def day(self, first: int, what: str) -> date:
        """DDMMYY at `first`; years 80-99 are 19xx, the rest 20xx (CODA exists since the 90s)."""
        value = self.digits(first, first + 5, what)
        day, month, year = int(value[:2]), int(value[2:4]), int(value[4:])
        try:
            return date(1900 + year if year >= 80 else 2000 + year, month, day)
        except ValueError:
            raise self.fail(f"{what} {value!r} (DDMMYY) is not a date") from None

    def day_if_known(self, first: int, what: str) -> date | None:
        """A date the standard lets the bank leave as 000000 when it does not know it."""
        return None if self.field(first, first + 5) == "000000" else self.day(first, what)

    def amount(self, first: int, what: str) -> int:
        """15 digits with 3 decimals at `first` → cents; refuses a fraction of a cent."""
        milli = int(self.digits(first, first + 14, what))
        if milli % 10:
            raise self.fail(f"{what} {milli // 1000}.{milli % 1000:03d} has a fraction of a cent")
        return milli // 10

    def signed_amount(self, sign_at: int, what: str) -> int:
        """A sign (0 credit, 1 debit) then the amount → signed cents."""
        sign = self.choice(sign_at, "01", f"{what} sign")
        cents = self.amount(sign_at + 1, what)
        return -cents if sign == "1" else cents


@dataclass(frozen=True)
class Account:
    number: str  # IBAN, or the account number of a foreign non-IBAN account
    currency: str


def account_of_old_balance(record: Record) -> Account:
    return account_zone(record, 6, record.choice(2, "0123", "account structure"))


def account_zone(record: Record, first: int, structure: str) -> Account:
    """The 37-character "account number and currency" zone at `first`.

    Record 1 position 2 gives its structure: 0 Belgian account number (12 digits, currency at
    +13), 1 foreign account number (34, then the currency), 2 IBAN of a Belgian account, 3
    IBAN of a foreign account (31 or 34, currency at +34). Record 8 repeats the zone one
    position earlier, without the structure digit: record 1's structure applies.
    """
    zone = record.field(first, first + 36)
    last = first + 36
    if structure == "0":
        bban = zone[:12]
        if not set(bban) <= _DIGITS:
            raise record.fail(
                f"Belgian account number {bban!r} (positions {first}-{first + 11}) is not 12 digits"
            )
        found = Account(number=_belgian_iban(bban, record), currency=zone[13:16])
    else:
        number = zone[:34].strip()
        if not number or " " in number:
            raise record.fail(f"account number {number!r} (positions {first}-{last}) is not valid")
        if structure in "23":
            number = _valid_iban(number, record)
        found = Account(number=number, currency=zone[34:37])
    if not (found.currency.isascii() and found.currency.isalpha() and found.currency.isupper()):
        raise record.fail(f"currency {found.currency!r} is not an ISO 4217 code")
    return found


def _belgian_iban(bban: str, record: Record) -> str:
    # A Belgian account number has its own check (first 10 digits mod 97, 97 for 0).
    if (int(bban[:10]) % 97 or 97) != int(bban[10:]):
        raise record.fail(f"Belgian account number {bban} fails its check digits")
    return "BE" + stdnum_iban.calc_check_digits("BE00" + bban) + bban


def _valid_iban(number: str, record: Record) -> str:
    found = valid_iban(number)
    if found is None:
        raise record.fail(f"IBAN {number!r} fails its check digits")
    return found
