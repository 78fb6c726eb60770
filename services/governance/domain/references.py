"""Structured references (+++…+++) of share purchases, and the numbering they come from.

A purchase's reference is derived from its place in the gapless series `sharenumbers-<year>`:
base = "0" + the year + the sequence on 5 digits, then the mod-97 check. Billing's invoice
references start with their 4-digit year (never 0), so the two never meet: a bank line that
billing cannot match reaches governance, which reads the series at that sequence to learn the
purchase, with nothing kept beside the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError

from shared.decider import Decider, DomainError
from shared.events.base import DomainEvent
from shared.events.governance import SharePurchaseNumbered

_SEQUENCE_DIGITS = 5
_PREFIX = "0"


class SeriesFull(DomainError):
    code = "share-series-full"


def share_reference(year: int, sequence: int) -> str:
    if not 1000 <= year <= 9999 or not 1 <= sequence < 10**_SEQUENCE_DIGITS:
        raise SeriesFull(f"no reference for purchase {sequence} of {year}")
    base = f"{_PREFIX}{year:04d}{sequence:0{_SEQUENCE_DIGITS}d}"
    digits = base + ogm_vcs.calc_check_digits(base)
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def parse_share_reference(text: str) -> tuple[int, int] | None:
    """(year, sequence) of a share purchase's reference, None for anything else (an invoice's
    reference, a typo, free text)."""
    try:
        digits = ogm_vcs.validate(text.strip().strip("+*"))
    except ValidationError:
        return None
    if not digits.startswith(_PREFIX):
        return None
    return int(digits[1:5]), int(digits[5:10])


@dataclass(frozen=True)
class Series:
    year: int
    last: int = 0


@dataclass(frozen=True)
class TakeNumber:
    purchase_id: str
    member_id: str


def _decide(command: TakeNumber, state: Series) -> Sequence[DomainEvent]:
    return [
        SharePurchaseNumbered(
            year=state.year, sequence=state.last + 1, purchase_id=command.purchase_id,
            member_id=command.member_id,
        )
    ]  # fmt: skip


def _evolve(state: Series, event: DomainEvent) -> Series:
    if isinstance(event, SharePurchaseNumbered):
        return Series(state.year, event.sequence)
    return state


def series_decider(year: int) -> Decider[TakeNumber, Series]:
    return Decider(lambda: Series(year), _decide, _evolve)
