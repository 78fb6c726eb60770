"""Random valid statements written by the test-side writer read back to the same values."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.statements import parse_statements
from services.billing.statements.model import structured_reference
from tests.billing.statements.coda_writer import Move, coda_file, statement

IBANS = ["BE71096123456769", "BE43068999999501", "NL91ABNA0417164300"]
# Printable Windows-1252 letters, as names and communications carry them.
TEXT = st.text(
    alphabet=st.sampled_from(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyzéèçàüÉ-/.,'0123456789"
    ),
    max_size=140,
)


@st.composite
def ogms(draw: st.DrawFn) -> str:
    base = draw(st.integers(min_value=0, max_value=9_999_999_999))
    return f"{base:010d}{base % 97 or 97:02d}"


@st.composite
def moves(draw: st.DrawFn, sequence: int, day: date) -> Move:
    cents = draw(st.integers(min_value=-(10**12), max_value=10**12))
    structured = draw(st.booleans())
    return Move(
        sequence=sequence,
        cents=cents,
        entry=day,
        value=day - timedelta(days=draw(st.integers(min_value=0, max_value=5))),
        ogm=draw(ogms()) if structured else None,
        communication="" if structured else draw(TEXT),
        name=draw(TEXT)[:35],
        account=draw(st.sampled_from(IBANS)),
        bic=draw(st.sampled_from(["GKCCBEBB", "KREDBEBB", ""])),
        bank_reference=draw(st.text(alphabet="ABCDEFGHIJ0123456789", max_size=21)),
    )


@st.composite
def statements(draw: st.DrawFn) -> tuple[int, date, list[Move], str]:
    day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2079, 12, 31)))
    count = draw(st.integers(min_value=0, max_value=8))
    drawn = [draw(moves(n, day)) for n in range(1, count + 1)]
    opening = draw(st.integers(min_value=-(10**12), max_value=10**12))
    return opening, day, drawn, draw(st.sampled_from(["\r\n", "\n"]))


@settings(max_examples=60, deadline=None)
@given(statements())
def test_a_written_statement_reads_back_the_same(drawn: tuple[int, date, list[Move], str]) -> None:
    opening, day, written, newline = drawn
    lines = statement("BE71096123456769", "007", opening, day - timedelta(days=1), day, written)
    (found,) = parse_statements(coda_file(lines, newline=newline, encoding="cp1252"), "text/plain")
    assert found.reconciles()
    assert (found.opening_balance_cents, found.statement_date) == (opening, day)
    assert found.closing_balance_cents == opening + sum(move.cents for move in written)
    assert len(found.movements) == len(written)
    for move, read in zip(written, found.movements, strict=True):
        assert read.sequence == f"{move.sequence:04d}"
        assert (read.amount_cents, read.entry_date, read.value_date) == (
            move.cents,
            move.entry,
            move.value,
        )
        assert read.counterparty_account == move.account
        assert read.counterparty_bic == (move.bic or None)
        assert read.counterparty_name == (" ".join(move.name.split()) or None)
        assert read.bank_reference == (move.bank_reference or None)
        if move.ogm is not None:
            assert read.structured_reference == structured_reference(move.ogm)
            assert read.communication is None
        else:
            assert read.communication == (" ".join(move.communication.split()) or None)
