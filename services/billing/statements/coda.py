"""CODA version 2 (Febelfin "coded statement of account", 2.5/2.6) → `BankStatement`s.

A file holds one or more statements, each the records 0 (header), 1 (old balance), 2.1-2.3
(movements), 3.1-3.3 (information, no amount), 4 (free message), 8 (new balance) and 9
(trailer). Strict where the standard is unambiguous: record types, digits, dates, signs, the
new balance (old + movements) and the trailer's record count and totals. Tolerant where banks
differ: CRLF, LF or CR line endings; trailing spaces trimmed (a short line is padded back to
128, a missing field then reads as blank and a required one is refused); UTF-8 or, when the
bytes are not UTF-8, Windows-1252/Latin-1 names; a globalisation that is opened but never
closed (it is read as no globalisation, as banks that emit it mean).

Globalisation: a movement whose globalisation code (position 125) is a level 1-9 opens a
group; the movements after it belong to the group until one carries the same level again, and
that one closes it (a lower group may nest inside). The balance and the trailer count only the
top level. The movements returned are the finest level that still adds up: a group is replaced
by its members when their amounts sum to the group's, so every credit of a bank-globalised
batch keeps its own structured reference; otherwise the group's total stands alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from services.billing.statements.coda_records import (
    RECORD_LENGTH,
    Account,
    Record,
    account_of_old_balance,
    account_zone,
)
from services.billing.statements.model import (
    MAX_MOVEMENTS,
    BankMovement,
    BankStatement,
    StatementFormatError,
    cleaned,
    reference_in,
    structured_reference,
)

_KINDS = frozenset({"0", "1", "21", "22", "23", "31", "32", "33", "4", "8", "9"})
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
# Communication types in record 2.1 that carry a Belgian structured reference: 101, and 102
# (the same reference reconstituted by the bank).
_OGM_TYPES = ("101", "102")


def parse_coda(body: bytes) -> tuple[BankStatement, ...]:
    records = _records(_decoded(body))
    statements: list[BankStatement] = []
    budget = _Budget()
    index = 0
    while index < len(records):
        header = records[index]
        if header.kind != "0":
            raise header.fail(f"a statement starts with a record 0, not a record {header.kind}")
        end = index + 1
        while end < len(records) and records[end].kind not in ("0", "9"):
            end += 1
        if end == len(records) or records[end].kind == "0":
            last = records[end - 1]
            raise last.fail(f"the statement that starts at line {header.number} has no record 9")
        statements.append(_statement(header, records[index + 1 : end], records[end], budget))
        index = end + 1
    return tuple(statements)


def _decoded(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Belgian banks write names in Windows-1252; the five bytes it leaves undefined still
        # read as Latin-1 rather than failing the whole file.
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
    return text.removeprefix("\ufeff")


def _records(text: str) -> list[Record]:
    lines = _LINE_BREAK.split(text)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise StatementFormatError("line 1", "the file is empty: a CODA file starts with record 0")
    records = []
    for number, line in enumerate(lines, start=1):
        if len(line) > RECORD_LENGTH:
            raise StatementFormatError(
                f"line {number}", f"a CODA record is {RECORD_LENGTH} characters, not {len(line)}"
            )
        if any(ord(char) < 32 or ord(char) == 127 for char in line):
            raise StatementFormatError(f"line {number}", "a control character inside a record")
        record = Record(number, line.ljust(RECORD_LENGTH))
        if not line.strip():
            raise record.fail("an empty line inside the file")
        if record.kind not in _KINDS:
            raise record.fail(f"record type {record.kind!r} is not a CODA record")
        records.append(record)
    return records


@dataclass
class _Budget:
    movements: int = 0

    def take(self, record: Record) -> None:
        self.movements += 1
        if self.movements > MAX_MOVEMENTS:
            raise record.fail(f"more than {MAX_MOVEMENTS} movements in one file")


@dataclass(eq=False)
class _Movement:
    record: Record  # its record 2.1
    sequence: str
    detail: str
    amount_cents: int
    value_date: date | None
    entry_date: date
    bank_reference: str | None
    structured_type: str | None  # "101"… when the communication is structured
    zones: list[str]  # the communication as written across 2.1, 2.2 and 2.3
    globalisation: int
    last_article: int = 1
    bic: str | None = None
    name: str | None = None
    account: str | None = None
    members: list[_Movement] = field(default_factory=list)

    def movement(self) -> BankMovement:
        reference, communication = self._communication()
        return BankMovement(
            sequence=self.sequence if self.detail == "0000" else f"{self.sequence}/{self.detail}",
            amount_cents=self.amount_cents,
            value_date=self.value_date or self.entry_date,
            entry_date=self.entry_date,
            structured_reference=reference,
            communication=communication,
            counterparty_name=self.name,
            counterparty_account=self.account,
            counterparty_bic=self.bic,
            bank_reference=self.bank_reference,
        )

    def _communication(self) -> tuple[str | None, str | None]:
        if self.structured_type in _OGM_TYPES:
            digits = self.zones[0][3:15]
            rest = cleaned("".join(self.zones[1:]))
            reference = structured_reference(digits)
            if reference is not None:
                return reference, rest
            # A wrong check digit: not a reference to match on, but what the payer wrote.
            return None, cleaned(" ".join(part for part in (digits, rest) if part))
        text = cleaned("".join(self.zones))
        return (reference_in(text) if self.structured_type is None else None), text


@dataclass
class _Reading:
    """One statement between its records 1 and 8, as it is read."""

    top: list[_Movement] = field(default_factory=list)
    open_groups: list[_Movement] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)
    current: _Movement | None = None
    information: tuple[str, str, int] | None = None  # sequence, detail, last article

    def add(self, movement: _Movement) -> None:
        key = (movement.sequence, movement.detail)
        if key in self.keys:
            raise movement.record.fail(f"movement {'/'.join(key)} appears twice")
        self.keys.add(key)
        siblings = self.open_groups[-1].members if self.open_groups else self.top
        siblings.append(movement)
        level = movement.globalisation
        if level and self.open_groups and self.open_groups[-1].globalisation == level:
            self.open_groups.pop()
        elif level:
            self.open_groups.append(movement)
        self.current = movement
        self.information = None

    def close(self) -> None:
        # A group never closed is no group: its members go back beside it.
        while self.open_groups:
            group = self.open_groups.pop()
            siblings = self.open_groups[-1].members if self.open_groups else self.top
            at = siblings.index(group) + 1
            siblings[at:at] = group.members
            group.members = []


def _statement(
    header: Record, body: list[Record], trailer: Record, budget: _Budget
) -> BankStatement:
    _check_header(header)
    if not body or body[0].kind != "1":
        raise (body[0] if body else trailer).fail("record 1 (old balance) must follow record 0")
    old = body[0]
    own = account_of_old_balance(old)
    opening = old.signed_amount(43, "old balance")
    old.day(59, "old balance date")
    sequence = old.digits(3, 5, "statement number")
    reading = _Reading()
    new: Record | None = None
    for record in body[1:]:
        if record.kind == "8":
            if new is not None:
                raise record.fail(f"a second record 8 (new balance, first at line {new.number})")
            new = record
        elif record.kind == "4":
            record.digits(3, 10, "sequence and detail number")
        elif new is not None or record.kind == "1":
            raise record.fail(f"record {record.kind} after the new balance or a second record 1")
        elif record.kind == "21":
            budget.take(record)
            reading.add(_movement(record))
        elif record.kind in ("22", "23"):
            _continuation(reading, record)
        else:
            _information(reading, record)
    if new is None:
        raise trailer.fail("the statement has no record 8 (new balance) before its trailer")
    reading.close()
    closing = _check_new_balance(new, own, old, opening, reading.top)
    _check_trailer(trailer, len(body), reading.top)
    return BankStatement(
        format="coda",
        account_iban=own.number,
        currency=own.currency,
        sequence=sequence,
        statement_date=new.day(58, "new balance date"),
        opening_balance_cents=opening,
        closing_balance_cents=closing,
        movements=tuple(m.movement() for m in _finest(reading.top)),
        message_id=None,
    )


def _check_header(header: Record) -> None:
    if header.digits(2, 5, "zeros") != "0000":
        raise header.fail("positions 2-5 of record 0 must be 0000")
    header.day(6, "creation date")
    if header.digits(15, 16, "application code") != "05":
        raise header.fail("application code (positions 15-16) must be 05 for CODA")
    header.choice(128, "2", "version code (CODA 2.x)")


def _movement(record: Record) -> _Movement:
    structured = record.choice(62, "01", "communication type") == "1"
    record.digits(54, 61, "transaction code")
    record.choice(126, "01", "next code")
    record.choice(128, "01", "link code")
    return _Movement(
        record=record,
        sequence=record.digits(3, 6, "sequence number"),
        detail=record.digits(7, 10, "detail number"),
        amount_cents=record.signed_amount(32, "amount"),
        value_date=record.day_if_known(48, "value date"),
        entry_date=record.day(116, "entry date"),
        bank_reference=record.text_field(11, 31),
        structured_type=record.digits(63, 65, "structured communication type")
        if structured
        else None,
        zones=[record.field(63, 115)],
        globalisation=int(record.digits(125, 125, "globalisation code")),
    )


def _continuation(reading: _Reading, record: Record) -> None:
    article = int(record.kind[1])
    current = reading.current
    key = (record.digits(3, 6, "sequence number"), record.digits(7, 10, "detail number"))
    if current is None or (current.sequence, current.detail) != key:
        raise record.fail(f"record 2.{article} does not follow the record 2.1 of movement {key[0]}")
    if current.last_article >= article:
        raise record.fail(f"record 2.{article} after record 2.{current.last_article}")
    current.last_article = article
    if article == 2:
        current.zones.append(record.field(11, 63))
        current.bic = record.text_field(99, 109)
    else:
        words = record.field(11, 44).split()
        current.account = words[0] if words else None
        current.name = cleaned(record.field(48, 82))
        current.zones.append(record.field(83, 125))


def _information(reading: _Reading, record: Record) -> None:
    # Information records carry no amount: read to check their place, nothing is kept.
    article = int(record.kind[1])
    key = (record.digits(3, 6, "sequence number"), record.digits(7, 10, "detail number"))
    if article == 1:
        record.digits(32, 39, "transaction code")
        record.choice(40, "01", "communication structure")
    elif reading.information is None or reading.information[:2] != key:
        raise record.fail(f"record 3.{article} does not follow a record 3.1 of the same movement")
    elif reading.information[2] >= article:
        raise record.fail(f"record 3.{article} after record 3.{reading.information[2]}")
    reading.information = (*key, article)


def _check_new_balance(
    new: Record, own: Account, old: Record, opening: int, top: list[_Movement]
) -> int:
    found = account_zone(new, 5, old.field(2, 2))
    if found != own:
        raise new.fail(f"account {found.number} {found.currency} is not record 1's ({own.number})")
    closing = new.signed_amount(42, "new balance")
    new.day(58, "new balance date")
    total = sum(movement.amount_cents for movement in top)
    if opening + total != closing:
        raise new.fail(
            f"old balance {opening} + movements {total} = {opening + total} cents,"
            f" but the new balance is {closing} cents"
        )
    return closing


def _check_trailer(trailer: Record, records: int, top: list[_Movement]) -> None:
    counted = int(trailer.digits(17, 22, "number of records"))
    if counted != records:
        raise trailer.fail(f"the trailer counts {counted} records, the statement has {records}")
    debit = sum(-m.amount_cents for m in top if m.amount_cents < 0)
    credit = sum(m.amount_cents for m in top if m.amount_cents > 0)
    for first, what, total in ((23, "debit", debit), (38, "credit", credit)):
        stated = trailer.amount(first, f"{what} total")
        if stated != total:
            raise trailer.fail(f"the {what} total is {stated} cents, the movements add {total}")
    trailer.choice(128, "12", "multiple file code")


def _finest(movements: list[_Movement]) -> list[_Movement]:
    finest: list[_Movement] = []
    for movement in movements:
        members = movement.members
        if members and sum(m.amount_cents for m in members) == movement.amount_cents:
            finest.extend(_finest(members))
        else:
            finest.append(movement)
    return finest
