"""A small CODA writer for the tests: lays out 128-character records by the standard's positions.

Positions are 1-based and inclusive as in Febelfin's tables, independently of the parser's
code, so a parser that misreads a position fails against it. The committed fixture files were
written once with it and checked by eye against the standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def record(*fields: tuple[int, str]) -> str:
    """A blank 128-character record with each (position, text) written in."""
    line = [" "] * 128
    for position, text in fields:
        if position - 1 + len(text) > 128:
            raise ValueError(f"field at {position} overflows: {text!r}")
        line[position - 1 : position - 1 + len(text)] = text
    return "".join(line)


def ddmmyy(day: date) -> str:
    return day.strftime("%d%m%y")


def amount(cents: int) -> tuple[str, str]:
    """Signed cents → (sign, 15 digits with 3 decimals)."""
    return ("1" if cents < 0 else "0"), f"{abs(cents) * 10:015d}"


@dataclass(frozen=True)
class Move:
    sequence: int
    cents: int
    entry: date
    value: date | None = None  # None writes 000000 (unknown)
    detail: int = 0
    ogm: str | None = None  # 12 digits, written as structured communication 101
    communication: str = ""  # free text, split over 2.1 (53), 2.2 (53), 2.3 (43)
    name: str = ""
    account: str = ""
    bic: str = ""
    bank_reference: str = ""
    type_digit: str = "0"
    family: str = "01"
    globalisation: int = 0
    continuation: bool = True  # write records 2.2 and 2.3
    information: bool = False  # add a record 3.1


def movement_records(move: Move, statement_number: str) -> list[str]:
    sign, digits = amount(move.cents)
    key = f"{move.sequence:04d}{move.detail:04d}"
    if move.ogm is not None:
        structured, zone1, rest = "1", "101" + move.ogm, ""
    else:
        structured, zone1, rest = "0", move.communication[:53], move.communication[53:]
    code = f"{move.type_digit}{move.family}50000"
    value = ddmmyy(move.value) if move.value else "000000"
    next_code = "1" if move.continuation else "0"
    lines = [
        record(
            (1, "21"), (3, key), (11, move.bank_reference), (32, sign), (33, digits),
            (48, value), (54, code), (62, structured), (63, zone1),
            (116, ddmmyy(move.entry)), (122, statement_number),
            (125, str(move.globalisation)), (126, next_code), (128, "0"),
        )
    ]  # fmt: skip
    if move.continuation:
        lines.append(record((1, "22"), (3, key), (11, rest[:53]), (99, move.bic), (126, "1")))
        link = "1" if move.information else "0"
        lines.append(
            record(
                (1, "23"), (3, key), (11, move.account), (48, move.name),
                (83, rest[53:96]), (126, "0"), (128, link),
            )
        )  # fmt: skip
    if move.information:
        lines.append(
            record(
                (1, "31"), (3, f"{move.sequence:04d}{move.detail + 1:04d}"),
                (11, move.bank_reference), (32, code), (40, "1"),
                (41, "001" + move.name[:70]), (126, "0"), (128, "0"),
            )
        )  # fmt: skip
    return lines


def statement(
    iban: str,
    number: str,
    old_cents: int,
    old_date: date,
    new_date: date,
    moves: list[Move],
    *,
    created: date | None = None,
    holder: str = "TRAVAIL PARTAGE SCE",
    free_message: str | None = None,
    new_cents: int | None = None,
    trailer_debit_cents: int | None = None,
) -> list[str]:
    """Records 0 to 9 of one statement on an IBAN (account structure 2).

    The new balance and the trailer are computed from the top-level moves (detail 0) unless
    given, so a test can write a statement that does not add up.
    """
    top = [move.cents for move in moves if move.detail == 0]
    new = old_cents + sum(top) if new_cents is None else new_cents
    old_sign, old_digits = amount(old_cents)
    new_sign, new_digits = amount(new)
    zone = iban.ljust(34) + "EUR"
    lines = [
        record(
            (1, "0"), (2, "0000"), (6, ddmmyy(created or new_date)), (12, "725"), (15, "05"),
            (25, "0000012345"), (35, holder), (61, "KREDBEBB"), (72, "00123456749"),
            (84, "00000"), (128, "2"),
        ),
        record(
            (1, "1"), (2, "2"), (3, number), (6, zone), (43, old_sign), (44, old_digits),
            (59, ddmmyy(old_date)), (65, holder), (91, "COMPTE A VUE"), (126, number),
        ),
    ]  # fmt: skip
    for move in moves:
        lines.extend(movement_records(move, number))
    if free_message is not None:
        lines.append(record((1, "4"), (2, " "), (3, "00010000"), (33, free_message[:80])))
    lines.append(
        record((1, "8"), (2, number), (5, zone), (42, new_sign), (43, new_digits),
               (58, ddmmyy(new_date)), (128, "0"))
    )  # fmt: skip
    debit = sum(-cents for cents in top if cents < 0)
    credit = sum(cents for cents in top if cents > 0)
    if trailer_debit_cents is not None:
        debit = trailer_debit_cents
    lines.append(
        record((1, "9"), (17, f"{len(lines) - 1:06d}"), (23, f"{debit * 10:015d}"),
               (38, f"{credit * 10:015d}"), (128, "1"))
    )  # fmt: skip
    return lines


def coda_file(*statements: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    lines = [line for lines in statements for line in lines]
    return (newline.join(lines) + newline).encode(encoding)
