"""camt.053 .001.02, .04 and .08 as banks write them; broken ones refused at their element."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.billing.statements import BankStatement, StatementFormatError, parse_statements

FIXTURES = Path(__file__).parent / "fixtures"
STMT = "/Document/BkToCstmrStmt/Stmt[1]"


def parse(name: str) -> tuple[BankStatement, ...]:
    return parse_statements((FIXTURES / name).read_bytes(), "application/xml")


def refusal(body: bytes) -> StatementFormatError:
    with pytest.raises(StatementFormatError) as caught:
        parse_statements(body, "text/xml; charset=utf-8")
    return caught.value


def edited(name: str, old: str, new: str) -> bytes:
    text = (FIXTURES / name).read_text()
    if old not in text:
        raise AssertionError(f"{old!r} is not in {name}")
    return text.replace(old, new, 1).encode()


def test_v02_strd_reference_debit_ogm_in_ustrd_batch_and_rf_reference() -> None:
    (found,) = parse("camt053_v02.xml")
    assert (found.format, found.account_iban, found.currency) == (
        "camt.053",
        "BE71096123456769",
        "EUR",
    )
    assert (found.sequence, found.statement_date) == ("41", date(2026, 3, 2))
    assert (found.opening_balance_cents, found.closing_balance_cents) == (100000, 237954)
    assert found.message_id == "STMT-20260302-0001"
    assert found.reconciles()
    by_sequence = {m.sequence: m for m in found.movements}
    assert list(by_sequence) == ["N0001", "N0002", "N0003", "N0004/1", "N0004/2", "N0006"]
    credit = by_sequence["N0001"]
    assert (credit.amount_cents, credit.structured_reference) == (121000, "+++202/6000/12320+++")
    assert (credit.counterparty_name, credit.counterparty_account, credit.counterparty_bic) == (
        "ACME SPRL",
        "BE43068999999501",
        "GKCCBEBB",
    )
    assert credit.bank_reference == "KBC-0001"
    debit = by_sequence["N0002"]
    assert (debit.amount_cents, debit.value_date, debit.entry_date) == (
        -25045,
        date(2026, 3, 1),
        date(2026, 3, 2),
    )
    assert (debit.counterparty_name, debit.communication) == ("IMMO CENTRE SA", "Loyer mars 2026")
    assert by_sequence["N0003"].structured_reference == "+++202/6000/12421+++"
    assert [by_sequence[s].amount_cents for s in ("N0004/1", "N0004/2")] == [10000, 20000]
    assert by_sequence["N0004/1"].structured_reference == "+++202/6000/12522+++"
    assert by_sequence["N0004/2"].structured_reference == "+++090/9337/55493+++"
    rf = by_sequence["N0006"]
    assert (rf.structured_reference, rf.communication) == (None, "RF18539007547034")


def test_v04_negative_balances_prcd_fee_without_details_and_salary_batch() -> None:
    (found,) = parse("camt053_v04.xml")
    assert (found.sequence, found.opening_balance_cents, found.closing_balance_cents) == (
        "47",
        -1000,
        -91230,
    )
    assert found.reconciles()
    credit, fee, *salaries = found.movements
    assert credit.counterparty_name == "Société Générale d'Électricité"
    assert credit.counterparty_bic == "PSSTFRPPLIL"
    assert credit.structured_reference == "+++090/9337/55493+++"
    assert (fee.sequence, fee.amount_cents, fee.communication) == ("GEBA-7712", -730, None)
    assert [(m.sequence, m.amount_cents) for m in salaries] == [
        ("GEBA-7713/1", -50000),
        ("GEBA-7713/2", -40000),
        ("GEBA-7713/3", -60000),
    ]
    assert salaries[0].counterparty_account == "BE43068999999501"
    assert salaries[0].bank_reference == "GEBA-7713-1"
    assert salaries[2].communication == "Salaire mars"


def test_v08_two_statements_party_names_date_times_and_positions() -> None:
    first, second = parse("camt053_v08.xml")
    assert (first.sequence, first.statement_date, first.closing_balance_cents) == (
        "301",
        date(2026, 3, 3),
        129799,
    )
    assert [m.counterparty_name for m in first.movements] == [
        "ACME SPRL",
        "DUPONT MARIE",
        "ASSURANCES DU CENTRE",
    ]
    assert first.movements[0].counterparty_bic == "GKCCBEBB"
    assert first.movements[0].entry_date == date(2026, 3, 3)
    assert first.movements[1].structured_reference == "+++202/6000/12421+++"
    assert first.movements[2].counterparty_account == "310-1234567-89"
    # No ElctrncSeqNb or LglSeqNb: the Id; no NtryRef: the position; two TxDtls without
    # their own amounts: one movement for the entry.
    assert (second.account_iban, second.currency, second.sequence) == (
        "BE43068999999501",
        "EUR",
        "ST-0302",
    )
    (only,) = second.movements
    assert (only.sequence, only.amount_cents, only.value_date) == ("1", 5000, date(2026, 3, 3))
    assert first.reconciles() and second.reconciles()


@pytest.mark.parametrize(
    ("name", "where", "words"),
    [
        ("camt053_broken_missing_amt.xml", f"{STMT}/Ntry[2]/Amt", "missing"),
        ("camt053_broken_date.xml", f"{STMT}/Ntry[2]/BookgDt/Dt", "'2026-02-30'"),
        ("camt053_broken_namespace.xml", "/Document", "camt.053.001.10"),
        ("camt053_broken_entity_bomb.xml", "!DOCTYPE", "refused"),
        ("camt053_broken_balance.xml", f"{STMT}/Bal[2]", "closing balance is 129790"),
    ],
)
def test_a_broken_file_names_its_element(name: str, where: str, words: str) -> None:
    error = refusal((FIXTURES / name).read_bytes())
    assert (error.where, str(error)) == (where, f"{where}: {error.reason}")
    assert words in error.reason


V08 = "camt053_v08.xml"
V02 = "camt053_v02.xml"


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        (b"<Document", "line 1", "not well-formed"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"/>',
            "/Document",
            "camt.052.001.08",
        ),
        (
            b'<BkToCstmrStmt xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>',
            "/BkToCstmrStmt",
            "root element",
        ),
        (
            edited(V08, "<MsgId>ING-20260304-01</MsgId>", ""),
            "/Document/BkToCstmrStmt/GrpHdr/MsgId",
            "missing",
        ),
        (edited(V08, "<Cd>CLBD</Cd>", "<Cd>CLAV</Cd>"), f"{STMT}/Bal", "closing (CLBD)"),
        (edited(V08, "<Cd>OPBD</Cd>", "<Cd>ITBD</Cd>"), f"{STMT}/Bal", "opening (OPBD or PRCD)"),
        (
            edited(V08, "<IBAN>BE71096123456769</IBAN>", "<IBAN>BE71096123456768</IBAN>"),
            f"{STMT}/Acct/Id/IBAN",
            "check digits",
        ),
        (
            edited(V08, "<Id><IBAN>BE71096123456769</IBAN></Id>", "<Id/>"),
            f"{STMT}/Acct/Id/IBAN",
            "missing",
        ),
        (edited(V08, "<Ccy>EUR</Ccy>", "<Ccy>euro</Ccy>"), f"{STMT}/Acct/Ccy", "ISO 4217"),
        (
            edited(V08, '<Amt Ccy="EUR">1210.00</Amt>', '<Amt Ccy="USD">1210.00</Amt>'),
            f"{STMT}/Ntry[1]/Amt",
            "in USD on an account in EUR",
        ),
        (
            edited(V08, '<Amt Ccy="EUR">1210.00</Amt>', '<Amt Ccy="EUR">1210.005</Amt>'),
            f"{STMT}/Ntry[1]/Amt",
            "fraction of a cent",
        ),
        (
            edited(V08, '<Amt Ccy="EUR">1210.00</Amt>', '<Amt Ccy="EUR">-1210.00</Amt>'),
            f"{STMT}/Ntry[1]/Amt",
            "not an amount",
        ),
        (
            edited(V08, '<Amt Ccy="EUR">1210.00</Amt>', '<Amt Ccy="E">1210.00</Amt>'),
            f"{STMT}/Ntry[1]/Amt",
            "Ccy attribute",
        ),
        (
            edited(V08, '<Amt Ccy="EUR">1210.00</Amt>', '<Amt Ccy="EUR"> </Amt>'),
            f"{STMT}/Ntry[1]/Amt",
            "empty",
        ),
        (
            edited(
                V08, "<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", "<CdtDbtInd>CR</CdtDbtInd><Sts>"
            ),
            f"{STMT}/Ntry[1]/CdtDbtInd",
            "not one of CRDT, DBIT",
        ),
        (edited(V08, "<Sts><Cd>BOOK</Cd></Sts>", ""), f"{STMT}/Ntry[1]/Sts", "missing"),
        (
            edited(V08, "<DtTm>2026-03-03T09:15:00+01:00</DtTm>", "<DtTm>yesterday</DtTm>"),
            f"{STMT}/Ntry[1]/BookgDt/DtTm",
            "not a date and time",
        ),
        (
            edited(
                V08,
                "<BookgDt><DtTm>2026-03-03T09:15:00+01:00</DtTm></BookgDt>\n        "
                "<ValDt><Dt>2026-03-03</Dt></ValDt>",
                "",
            ),
            f"{STMT}/Ntry[1]/BookgDt",
            "missing",
        ),
        (
            edited(
                V08,
                "<BookgDt><DtTm>2026-03-03T09:15:00+01:00</DtTm></BookgDt>",
                "<BookgDt></BookgDt>",
            ),
            f"{STMT}/Ntry[1]/BookgDt/Dt",
            "missing",
        ),
        (
            edited(V02, '<Amt Ccy="EUR">200.00</Amt>', '<Amt Ccy="EUR">200.01</Amt>'),
            f"{STMT}/Ntry[4]/Amt",
            "TxDtls add up to 30001",
        ),
    ],
)
def test_an_element_that_breaks_the_message_is_named(body: bytes, where: str, words: str) -> None:
    error = refusal(body)
    assert error.where == where
    assert words in error.reason


def test_a_message_without_any_statement_is_refused() -> None:
    body = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>
    <GrpHdr><MsgId>M</MsgId></GrpHdr></BkToCstmrStmt></Document>"""
    assert refusal(body).where == "/Document/BkToCstmrStmt/Stmt"


def test_without_acct_ccy_nor_balance_the_currency_is_unknown() -> None:
    body = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>
    <GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>1</Id><Acct><Id><Othr><Id>12 34</Id></Othr></Id>
    </Acct></Stmt></BkToCstmrStmt></Document>"""
    assert refusal(body).where == f"{STMT}/Bal"


def test_a_utf16_doctype_is_refused_before_parsing() -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16")
    assert refusal(body).where == "!DOCTYPE"


def test_entries_with_repeated_references_fall_back_to_positions() -> None:
    body = edited(V08, "<NtryRef>2</NtryRef>", "<NtryRef>1</NtryRef>")
    first, _ = parse_statements(body, "application/xml")
    assert [m.sequence for m in first.movements] == ["1", "2", "3"]


def test_xml_that_is_not_well_formed_names_its_line() -> None:
    text = (FIXTURES / V08).read_text()
    line = text[: text.index("</Stmt>")].count("\n") + 1
    error = refusal(text.replace("</Stmt>", "</Stmnt>", 1).encode())
    assert error.where == f"line {line}"
    assert "not well-formed" in error.reason
