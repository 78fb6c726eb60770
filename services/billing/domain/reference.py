"""Belgian structured payment references (`+++123/4567/89002+++`, DOMAIN.md §6).

Ten digits and a check of two: base mod 97, 97 when that is 0. The base is the invoice's year
and its sequence in that year, so two invoices can never share one: the numbering stream
already guarantees the pair is unique.
"""

from __future__ import annotations

import re

from shared.decider import DomainError

_SEQUENCE_DIGITS = 6
_FORM = re.compile(r"\+\+\+(\d{3})/(\d{4})/(\d{5})\+\+\+")


class InvalidStructuredReference(DomainError):
    code = "invalid-structured-reference"


def check_digits(base: int) -> int:
    remainder = base % 97
    return 97 if remainder == 0 else remainder


def format_reference(twelve_digits: str) -> str:
    d = twelve_digits
    return f"+++{d[:3]}/{d[3:7]}/{d[7:]}+++"


def structured_reference(year: int, sequence: int) -> str:
    """The reference of invoice `sequence` of `year`: base = YYYY followed by 6 digits."""
    if not 1000 <= year <= 9999 or not 1 <= sequence < 10**_SEQUENCE_DIGITS:
        raise InvalidStructuredReference(f"no reference for invoice {sequence} of {year}")
    base = year * 10**_SEQUENCE_DIGITS + sequence
    return format_reference(f"{base:010d}{check_digits(base):02d}")


def parse_structured_reference(text: str, *, field: str | None = None) -> str:
    """A reference as people type it (`+++…+++`, `***…***` or the 12 digits alone) → the
    canonical `+++…+++` form; refused when the check digits do not match."""
    digits = "".join(ch for ch in text if ch.isdigit())
    stripped = text.strip().strip("+*").replace("/", "").replace(" ", "")
    if len(digits) != 12 or stripped != digits or not digits.isascii():
        raise InvalidStructuredReference(f"{text[:40]!r} is no structured reference", field=field)
    base, check = int(digits[:10]), int(digits[10:])
    if check_digits(base) != check:
        raise InvalidStructuredReference(
            f"{text[:40]!r}: the check digits should be {check_digits(base):02d}", field=field
        )
    return format_reference(digits)


def is_structured_reference(text: str) -> bool:
    return _FORM.fullmatch(text) is not None
