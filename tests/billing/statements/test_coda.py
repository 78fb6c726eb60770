"""CODA files as banks write them, read into statements; broken ones refused at their line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.billing.statements import (
    MAX_MOVEMENTS,
    BankStatement,
    StatementFormatError,
    parse_statements,
)
from tests.billing.statements.coda_writer import Move, coda_file, record, statement

FIXTURES = Path(__file__).parent / "fixtures"
COOP = "BE71096123456769"


def parse(name: str) -> tuple[BankStatement, ...]:
    return parse_statements((FIXTURES / name).read_bytes(), "text/plain")


def refusal(body: bytes) -> StatementFormatError:
    with pytest.raises(StatementFormatError) as caught:
        parse_statements(body, "text/plain; charset=latin-1")
    return caught.value


def test_a_simple_statement_gives_its_account_balances_and_every_movement() -> None:
    (found,) = parse("coda_simple.txt")
    assert (found.format, found.account_iban, found.currency) == ("coda", COOP, "EUR")
    assert (found.sequence, found.statement_date) == ("012", date(2026, 3, 2))
    assert found.message_id is None
    assert (found.opening_balance_cents, found.closing_balance_cents) == (125000, 281954)
    assert found.reconciles()
    assert found.opening_balance_cents + sum(m.amount_cents for m in found.movements) == 281954
    assert [m.sequence for m in found.movements] == ["0001", "0002", "0003", "0004", "0005"]
    assert [m.amount_cents for m in found.movements] == [121000, -25045, 50000, 9999, 1000]


def test_a_structured_communication_credit_carries_its_reference_and_counterparty() -> None:
    credit = parse("coda_simple.txt")[0].movements[0]
    assert credit.structured_reference == "+++202/6000/12320+++"
    assert credit.communication is None
    assert (credit.counterparty_name, credit.counterparty_account) == (
        "ACME SPRL",
        "BE43068999999501",
    )
    assert (credit.counterparty_bic, credit.bank_reference) == ("GKCCBEBB", "OL9412345JBBOGOGLOAA")
    assert (credit.value_date, credit.entry_date) == (date(2026, 3, 2), date(2026, 3, 2))


def test_a_debit_is_negative_with_its_own_value_date() -> None:
    debit = parse("coda_simple.txt")[0].movements[1]
    assert debit.amount_cents == -25045
    assert (debit.value_date, debit.entry_date) == (date(2026, 3, 1), date(2026, 3, 2))
    assert debit.communication == "Loyer mars 2026 bureau Rue de la Loi 16"
    assert debit.structured_reference is None


def test_a_free_communication_runs_on_across_records_2_2_and_2_3() -> None:
    free = parse("coda_simple.txt")[0].movements[2]
    assert free.communication == (
        "Acompte prestation de mars, voir devis 2026-17 du 12 fevrier, merci de confirmer"
        " la reception du present paiement"
    )
    assert free.structured_reference is None
    assert free.counterparty_account == "NL91ABNA0417164300"


def test_an_ogm_typed_as_free_text_is_recognised_and_a_wrong_check_digit_is_not() -> None:
    movements = parse("coda_simple.txt")[0].movements
    assert movements[3].structured_reference == "+++202/6000/12421+++"
    assert movements[4].structured_reference is None
    assert movements[4].communication == "202600012499"


def test_another_bank_lf_trimmed_lines_windows_1252_belgian_account_blank_fields() -> None:
    raw = (FIXTURES / "coda_other_bank.txt").read_bytes()
    assert b"\r" not in raw and any(len(line) < 128 for line in raw.split(b"\n"))
    (found,) = parse("coda_other_bank.txt")
    # Account structure 0: the Belgian account number 068-9999995-01 becomes its IBAN.
    assert found.account_iban == "BE43068999999501"
    assert (found.opening_balance_cents, found.closing_balance_cents) == (-1500, 82470)
    assert found.reconciles()
    first, second, fee = found.movements
    assert first.counterparty_name == "Société Générale d'Électricité"
    assert first.structured_reference == "+++090/9337/55493+++"
    # Value date 000000 (unknown) is the entry date; no 2.2/2.3: no counterparty.
    assert second.value_date == second.entry_date == date(2026, 3, 4)
    assert (second.counterparty_name, second.counterparty_account, second.counterparty_bic) == (
        None,
        None,
        None,
    )
    assert fee.amount_cents == -730 and fee.communication == "FRAIS DE GESTION"


def test_a_globalised_batch_gives_its_details_when_they_add_up_else_its_total() -> None:
    (found,) = parse("coda_globalised.txt")
    assert [(m.sequence, m.amount_cents) for m in found.movements] == [
        ("0001/0001", 10000),
        ("0001/0002", 15000),
        ("0001/0003", 5000),
        ("0002", 10000),  # its detail says 100.50 (the original amount): the total stands
        ("0003", -1200),
    ]
    assert [m.structured_reference for m in found.movements[:3]] == [
        "+++202/6000/12320+++",
        "+++202/6000/12421+++",
        "+++202/6000/12522+++",
    ]
    assert (found.opening_balance_cents, found.closing_balance_cents) == (388000, 426800)
    assert found.reconciles()


def test_a_globalisation_never_closed_is_read_as_none() -> None:
    lines = statement(
        COOP,
        "015",
        0,
        date(2026, 3, 4),
        date(2026, 3, 5),
        [
            Move(1, -55683, date(2026, 3, 5), date(2026, 3, 5), type_digit="1", globalisation=1),
            Move(2, 10000, date(2026, 3, 5), date(2026, 3, 5), ogm="202600012320"),
        ],
    )
    (found,) = parse_statements(coda_file(lines), "text/plain")
    assert [m.amount_cents for m in found.movements] == [-55683, 10000]
    assert found.reconciles()


def test_two_statements_in_one_file() -> None:
    first, second = parse("coda_two_statements.txt")
    assert (first.account_iban, first.sequence) == (COOP, "014")
    assert first.closing_balance_cents == 897800
    assert (second.account_iban, second.sequence) == ("BE43068999999501", "101")
    assert [m.amount_cents for m in second.movements] == [5000, -2000]
    assert first.reconciles() and second.reconciles()


@pytest.mark.parametrize(
    ("name", "where", "words"),
    [
        ("coda_broken_length.txt", "line 3", "128 characters, not 129"),
        ("coda_broken_record_type.txt", "line 4", "record type '5'"),
        ("coda_broken_trailer_totals.txt", "line 10", "debit total is 25054"),
        ("coda_broken_date.txt", "line 7", "entry date '320226'"),
        ("coda_broken_balance.txt", "line 6", "new balance is 246001"),
    ],
)
def test_a_broken_file_is_refused_at_its_line(name: str, where: str, words: str) -> None:
    error = refusal((FIXTURES / name).read_bytes())
    assert error.where == where
    assert words in error.reason
    assert str(error) == f"{where}: {error.reason}"


def _simple_lines() -> list[str]:
    return (FIXTURES / "coda_simple.txt").read_text().splitlines()


def _with(line: int, text: str, lines: list[str] | None = None) -> bytes:
    edited = list(lines or _simple_lines())
    edited[line - 1] = text
    return ("\r\n".join(edited) + "\r\n").encode()


def _at(line: int, position: int, text: str) -> bytes:
    original = _simple_lines()[line - 1]
    return _with(line, original[: position - 1] + text + original[position - 1 + len(text) :])


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        (b"", "line 1", "empty"),
        (_at(1, 128, "1"), "line 1", "version code"),
        (_at(1, 2, "1"), "line 1", "positions 2-5"),
        (_at(1, 15, "03"), "line 1", "application code"),
        (_at(2, 2, "7"), "line 2", "account structure"),
        (_at(2, 6, "BE71096123456768"), "line 2", "IBAN"),
        (_at(2, 40, "eur"), "line 2", "currency"),
        (_at(2, 43, "2"), "line 2", "old balance sign"),
        (_at(3, 47, "5"), "line 3", "fraction of a cent"),
        (_at(3, 62, "2"), "line 3", "communication type"),
        (_at(3, 33, "00000000000A"), "line 3", "must be digits"),
        (_at(4, 3, "0002"), "line 4", "does not follow"),
        (_at(5, 2, "2"), "line 5", "record 2.2 after record 2.2"),
        (_at(6, 40, "5"), "line 6", "communication structure"),
        (_at(21, 17, "000018"), "line 21", "counts 18 records"),
        (_at(20, 5, "BE43068999999501"), "line 20", "is not record 1's"),
        (_at(21, 128, "3"), "line 21", "multiple file code"),
        (_with(3, "\t" + "x" * 20), "line 3", "control character"),
        (_with(3, "   "), "line 3", "empty line"),
    ],
)
def test_a_record_that_breaks_the_standard_names_its_line(
    body: bytes, where: str, words: str | None
) -> None:
    error = refusal(body)
    assert error.where == where
    assert words is None or words in error.reason


def test_the_order_of_records_is_checked() -> None:
    lines = _simple_lines()
    assert refusal(_with(2, lines[2])).reason.startswith("record 1 (old balance) must follow")
    no_trailer = ("\r\n".join(lines[:-1]) + "\r\n").encode()
    assert refusal(no_trailer).where == "line 20"
    no_new_balance = ("\r\n".join([*lines[:-2], lines[-1]])).encode()
    assert "no record 8" in refusal(no_new_balance).reason
    twice = ("\n".join(lines[:-1] + lines[-2:])).encode()
    assert refusal(twice).where == "line 21"
    after_new = ("\n".join([*lines[:-1], lines[2], lines[-1]])).encode()
    assert "after the new balance" in refusal(after_new).reason
    starts_wrong = ("\n".join(lines[1:])).encode()
    assert refusal(starts_wrong).where == "line 1"
    header_again = ("\n".join([*lines[:5], lines[0], *lines[5:]])).encode()
    assert "no record 9" in refusal(header_again).reason
    repeated = ("\n".join([*lines[:3], lines[2], *lines[3:]])).encode()
    assert "appears twice" in refusal(repeated).reason
    orphan_info = ("\n".join([*lines[:5], lines[5][:1] + "2" + lines[5][2:], *lines[6:]])).encode()
    assert "record 3.2 does not follow" in refusal(orphan_info).reason


def test_information_and_free_message_records_are_tolerated() -> None:
    lines = _simple_lines()
    info = lines[5]
    more = [info[:1] + "2" + info[2:], info[:1] + "3" + info[2:]]
    body = ("\n".join([*lines[:6], *more, *lines[6:-1]]) + "\n").encode()
    trailer = record((1, "9"), (17, "000021"), (23, "000000000250450"), (38, "000000001819990"))
    assert parse_statements(body + trailer[:-1].encode() + b"1\n", "text/plain")[0].reconciles()
    backwards = [info[:1] + "3" + info[2:], info[:1] + "2" + info[2:]]
    body = ("\n".join([*lines[:6], *backwards, *lines[6:]]) + "\n").encode()
    assert "record 3.2 after record 3.3" in refusal(body).reason


def test_more_movements_than_the_bound_are_refused() -> None:
    day = date(2026, 3, 2)
    moves = [Move(n, 1, day, day, continuation=False) for n in range(1, MAX_MOVEMENTS + 2)]
    lines = statement(COOP, "001", 0, day, day, [m for m in moves if m.sequence <= 9999])
    lines2 = statement(COOP, "002", 0, day, day, [Move(1, 1, day, day), Move(2, 1, day, day)])
    error = refusal(coda_file(lines, lines2))
    assert "more than 10000 movements" in error.reason
    assert error.where == f"line {len(lines) + 3 + 3}"
