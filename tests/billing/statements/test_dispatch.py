"""`parse_statements` picks the format by media type and bounds what it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.billing.statements import MAX_BODY_BYTES, StatementFormatError, parse_statements
from services.billing.statements.model import reference_in, structured_reference

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("media_type", "fixture", "kind"),
    [
        ("text/plain", "coda_simple.txt", "coda"),
        ("text/plain; charset=windows-1252", "coda_other_bank.txt", "coda"),
        ("TEXT/X-CODA", "coda_simple.txt", "coda"),
        ("application/xml", "camt053_v02.xml", "camt.053"),
        ("text/xml; charset=UTF-8", "camt053_v04.xml", "camt.053"),
    ],
)
def test_the_media_type_picks_the_parser(media_type: str, fixture: str, kind: str) -> None:
    found = parse_statements((FIXTURES / fixture).read_bytes(), media_type)
    assert {statement.format for statement in found} == {kind}


def test_another_media_type_is_refused() -> None:
    with pytest.raises(StatementFormatError) as caught:
        parse_statements(b"%PDF-1.7", "application/pdf")
    assert caught.value.where == "Content-Type"


def test_a_body_over_the_bound_is_refused_before_reading() -> None:
    with pytest.raises(StatementFormatError) as caught:
        parse_statements(b" " * (MAX_BODY_BYTES + 1), "text/plain")
    assert caught.value.where == "body"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+++090/9337/55493+++", "+++090/9337/55493+++"),
        ("*** 090 / 9337 / 55493 ***", "+++090/9337/55493+++"),
        ("090/9337/55493", "+++090/9337/55493+++"),
        ("invoice +++090/9337/55494+++ or +++202/6000/12320+++", "+++202/6000/12320+++"),
        ("000000000097", "+++000/0000/00097+++"),  # 0 mod 97 is written 97
        ("000000000000", None),
        ("090933755494", None),
        ("RF18539007547034", None),
        ("Facture 090933755493 du 3 mars", None),  # bare digits only when alone
        ("", None),
        (None, None),
    ],
)
def test_structured_references(text: str | None, expected: str | None) -> None:
    assert reference_in(text) == expected


def test_structured_reference_wants_twelve_digits() -> None:
    assert structured_reference("12345678900") is None
    assert structured_reference("123456789002") == "+++123/4567/89002+++"
