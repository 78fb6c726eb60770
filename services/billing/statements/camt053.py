"""camt.053 (ISO 20022 BankToCustomerStatement, .001.02, .001.04, .001.08) → `BankStatement`s.

Each `Stmt` gives one statement: its account (`Acct/Id/IBAN`, or `Othr/Id`), the opening
balance (`Bal` of type OPBD, else PRCD) and the closing one (CLBD), and its booked entries
(`Ntry` with `Sts` BOOK; pending and information entries are not on the balance and are left
out). An entry is one movement, or one per `TxDtls` when a batch entry details several
transactions that each carry their own amount in the account's currency (`TxDtls/Amt`, or
`AmtDtls/TxAmt/Amt` in .02) and those add up to the entry. The parties differ by version:
`Dbtr/Nm` in .02/.04, `Dbtr/Pty/Nm` in .08; `BIC` in .02, `BICFI` after.

Movement sequences are the entries' `NtryRef` (else `AcctSvcrRef`) when every booked entry has
one and they are unique, else the entries' positions ("1", "2", …), with "/k" for the k-th
transaction of a split batch: the same file always gives the same sequences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services.billing.statements.camt_xml import At, local_name, parse_document
from services.billing.statements.model import (
    MAX_MOVEMENTS,
    BankMovement,
    BankStatement,
    StatementFormatError,
    cleaned,
    reference_in,
    valid_iban,
)

NAMESPACES = tuple(
    f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}" for version in ("02", "04", "08")
)
_SIGNS = ("CRDT", "DBIT")


def parse_camt053(body: bytes) -> tuple[BankStatement, ...]:
    root = parse_document(body)
    namespace = etree.QName(root).namespace or ""
    name = local_name(root)
    if name != "Document" or namespace not in NAMESPACES:
        raise StatementFormatError(
            f"/{name}",
            f"the root element {{{namespace}}}{name} is not the Document of"
            " camt.053.001.02, .001.04 or .001.08",
        )
    message = At(root, "/Document", namespace).need("BkToCstmrStmt")
    message_id = message.need("GrpHdr", "MsgId").text()
    statements = message.children("Stmt")
    if not statements:
        raise message.fail("this required element is missing", "Stmt")
    budget = _Budget()
    return tuple(_statement(stmt, message_id, budget) for stmt in statements)


@dataclass
class _Budget:
    movements: int = 0

    def take(self, count: int, entry: At) -> None:
        self.movements += count
        if self.movements > MAX_MOVEMENTS:
            raise entry.fail(f"more than {MAX_MOVEMENTS} movements in one file")


@dataclass(frozen=True)
class _Balance:
    at: At
    cents: int
    day: date


def _statement(stmt: At, message_id: str, budget: _Budget) -> BankStatement:
    account = _account(stmt.need("Acct"))
    currency = _currency(stmt)
    balances: dict[str, _Balance] = {}
    for bal in stmt.children("Bal"):
        code = bal.text_of("Tp", "CdOrPrtry", "Cd") or bal.text_of("Tp", "CdOrPrtry", "Prtry")
        cents, _ = bal.need("Amt").amount(currency)
        sign = bal.need("CdtDbtInd").code(_SIGNS)
        if code is not None and code not in balances:
            signed = -cents if sign == "DBIT" else cents
            balances[code] = _Balance(bal, signed, bal.need("Dt").day())
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    if opening is None or closing is None:
        missing = "opening (OPBD or PRCD)" if opening is None else "closing (CLBD)"
        raise stmt.fail(f"the statement has no {missing} balance", "Bal")
    entries = [
        (position, entry)
        for position, entry in enumerate(stmt.children("Ntry"), start=1)
        if _booked(entry)
    ]
    references = [entry.text_of("NtryRef") or entry.text_of("AcctSvcrRef") for _, entry in entries]
    unique = None not in references and len(set(references)) == len(references)
    movements: list[BankMovement] = []
    for (position, entry), reference in zip(entries, references, strict=True):
        sequence = reference if unique and reference is not None else str(position)
        found = _movements(entry, sequence, currency)
        budget.take(len(found), entry)
        movements.extend(found)
    total = sum(movement.amount_cents for movement in movements)
    if opening.cents + total != closing.cents:
        raise closing.at.fail(
            f"opening balance {opening.cents} + entries {total} = {opening.cents + total} cents,"
            f" but the closing balance is {closing.cents} cents"
        )
    return BankStatement(
        format="camt.053",
        account_iban=account,
        currency=currency,
        sequence=stmt.text_of("ElctrncSeqNb") or stmt.text_of("LglSeqNb") or stmt.need("Id").text(),
        statement_date=closing.day,
        opening_balance_cents=opening.cents,
        closing_balance_cents=closing.cents,
        movements=tuple(movements),
        message_id=message_id,
    )


def _account(acct: At) -> str:
    iban = acct.child("Id", "IBAN")
    if iban is not None:
        text = iban.text()
        found = valid_iban(text)
        if found is None:
            raise iban.fail(f"{text[:40]!r} fails the IBAN check digits")
        return found
    other = acct.child("Id", "Othr", "Id")
    if other is None:
        raise acct.fail("this required element is missing", "Id/IBAN")
    return "".join(other.text().split())


def _currency(stmt: At) -> str:
    # Acct/Ccy is optional: without it the account's currency is the first balance's.
    given = stmt.child("Acct", "Ccy")
    at = given if given is not None else stmt.child("Bal", "Amt")
    if at is None:
        raise stmt.fail("this required element is missing", "Bal")
    currency = at.text() if given is not None else at.element.get("Ccy") or ""
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise at.fail(f"{currency[:10]!r} is not an ISO 4217 currency code")
    return currency


def _booked(entry: At) -> bool:
    status = entry.need("Sts")
    code = status.child("Cd")  # .08: Sts/Cd; .02 and .04: the code is Sts's own text
    return (code if code is not None else status).text() == "BOOK"


def _movements(entry: At, sequence: str, currency: str) -> list[BankMovement]:
    amount, _ = entry.need("Amt").amount(currency)
    sign = entry.need("CdtDbtInd").code(_SIGNS)
    signed = -amount if sign == "DBIT" else amount
    booking, value = entry.child("BookgDt"), entry.child("ValDt")
    if booking is None and value is None:
        raise entry.fail("this required element is missing", "BookgDt")
    entry_date = (booking or value or entry).day()
    value_date = value.day() if value is not None else entry_date
    details = [tx for part in entry.children("NtryDtls") for tx in part.children("TxDtls")]
    own = [_own_amount(tx, currency) for tx in details]
    if len(details) > 1 and None not in own:
        split = []
        for number, (tx, at) in enumerate(zip(details, own, strict=True), start=1):
            cents, _ = at.amount(currency) if at is not None else (0, currency)
            tx_sign = tx.child("CdtDbtInd")
            if (tx_sign.code(_SIGNS) if tx_sign is not None else sign) == "DBIT":
                cents = -cents
            part = f"{sequence}/{number}"
            split.append(_movement(entry, tx, part, cents, value_date, entry_date))
        added = sum(movement.amount_cents for movement in split)
        if added != signed:
            raise entry.need("Amt").fail(
                f"the entry's TxDtls add up to {added} cents, the entry says {signed} cents"
            )
        return split
    only = details[0] if len(details) == 1 else None
    return [_movement(entry, only, sequence, signed, value_date, entry_date)]


def _own_amount(tx: At, currency: str) -> At | None:
    at = tx.child("Amt") or tx.child("AmtDtls", "TxAmt", "Amt")
    return at if at is not None and at.element.get("Ccy") == currency else None


def _movement(
    entry: At, tx: At | None, sequence: str, cents: int, value_date: date, entry_date: date
) -> BankMovement:
    bank_reference = entry.text_of("AcctSvcrRef")
    if tx is None:
        return BankMovement(
            sequence, cents, value_date, entry_date, None, None, None, None, None, bank_reference
        )
    # The other party is the debtor of a credit and the creditor of a debit.
    side = "Dbtr" if cents >= 0 else "Cdtr"
    reference, communication = _remittance(tx.child("RmtInf"))
    return BankMovement(
        sequence=sequence,
        amount_cents=cents,
        value_date=value_date,
        entry_date=entry_date,
        structured_reference=reference,
        communication=communication,
        counterparty_name=tx.text_of("RltdPties", side, "Nm")
        or tx.text_of("RltdPties", side, "Pty", "Nm"),
        counterparty_account=_party_account(tx, f"{side}Acct"),
        counterparty_bic=tx.text_of("RltdAgts", f"{side}Agt", "FinInstnId", "BIC")
        or tx.text_of("RltdAgts", f"{side}Agt", "FinInstnId", "BICFI"),
        bank_reference=tx.text_of("Refs", "AcctSvcrRef") or bank_reference,
    )


def _party_account(tx: At, role: str) -> str | None:
    text = tx.text_of("RltdPties", role, "Id", "IBAN") or tx.text_of(
        "RltdPties", role, "Id", "Othr", "Id"
    )
    return "".join(text.split()) if text else None


def _remittance(remittance: At | None) -> tuple[str | None, str | None]:
    """(the OGM, the free text): Strd/CdtrRefInf/Ref first, else an OGM inside Ustrd.

    A creditor reference that is no valid OGM (an ISO 11649 RF reference, a wrong check
    digit) is kept in the communication, where a person can still read it.
    """
    if remittance is None:
        return None, None
    texts = [u.text_of() or "" for u in remittance.children("Ustrd")]
    reference = None
    for structured in remittance.children("Strd"):
        given = structured.text_of("CdtrRefInf", "Ref")
        found = reference_in(given)
        if found is not None and reference is None:
            reference = found
        elif given is not None:
            texts.append(given)
    communication = cleaned(" ".join(texts))
    return reference or reference_in(communication), communication
