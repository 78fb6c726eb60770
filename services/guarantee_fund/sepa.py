"""The SEPA credit-transfer file of a payment run: pain.001.001.09 (default) or .03.

One payment information block (category purpose SALA, the run's execution date, the
cooperative as debtor with its structured address — banks refuse unstructured ones since
15 November 2026), one transaction per salary (the member's name and IBAN, the prestation in
the remittance information). The creditor's address is left out, as the rules allow. The file
is validated against the XSD that `sepaxml` ships before anyone gets it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from shared.parameters import Cooperative

PainVersion = Literal["pain.001.001.09", "pain.001.001.03"]
DEFAULT_VERSION: PainVersion = "pain.001.001.09"
_NAME_LENGTH = 70  # EPC rulebook: names are at most 70 characters
_TEXT_LENGTH = 140


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    creditor_bic: str | None
    amount_cents: int
    remittance: str


@dataclass(frozen=True)
class RunFile:
    message_id: str
    created_at: dt.datetime
    execution_date: dt.date
    transfers: Sequence[Transfer]

    @property
    def control_sum_cents(self) -> int:
        return sum(transfer.amount_cents for transfer in self.transfers)


class SepaFileInvalid(ValueError):
    """The file we built does not validate: a bug or data a bank would refuse."""


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@functools.cache
def schema(version: PainVersion) -> etree.XMLSchema:
    xsd = resources.files("sepaxml") / "schemas" / f"{version}.xsd"
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def build(run: RunFile, debtor: Cooperative, version: PainVersion = DEFAULT_VERSION) -> bytes:
    """The XML file of `run`, validated; raises SepaFileInvalid when it does not validate."""
    if not run.transfers:
        raise SepaFileInvalid("a payment run with no salary has no transfer file")
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{version}"
    modern = version == "pain.001.001.09"

    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
        if text is not None:
            element.text = text
        return element

    def agent(parent: etree._Element, tag: str, bic: str | None) -> None:
        institution = sub(sub(parent, tag), "FinInstnId")
        if bic:
            sub(institution, "BICFI" if modern else "BIC", bic)
        else:
            sub(sub(institution, "Othr"), "Id", "NOTPROVIDED")

    document = etree.Element(f"{{{namespace}}}Document", nsmap={None: namespace})
    root = sub(document, "CstmrCdtTrfInitn")
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", run.message_id[:35])
    sub(header, "CreDtTm", run.created_at.replace(microsecond=0).isoformat())
    sub(header, "NbOfTxs", str(len(run.transfers)))
    sub(header, "CtrlSum", euros(run.control_sum_cents))
    sub(sub(header, "InitgPty"), "Nm", debtor.name[:_NAME_LENGTH])
    block = sub(root, "PmtInf")
    sub(block, "PmtInfId", run.message_id[:35])
    sub(block, "PmtMtd", "TRF")
    sub(block, "BtchBookg", "true")
    sub(block, "NbOfTxs", str(len(run.transfers)))
    sub(block, "CtrlSum", euros(run.control_sum_cents))
    payment_type = sub(block, "PmtTpInf")
    sub(sub(payment_type, "SvcLvl"), "Cd", "SEPA")
    sub(sub(payment_type, "CtgyPurp"), "Cd", "SALA")
    if modern:
        sub(sub(block, "ReqdExctnDt"), "Dt", run.execution_date.isoformat())
    else:
        sub(block, "ReqdExctnDt", run.execution_date.isoformat())
    party = sub(block, "Dbtr")
    sub(party, "Nm", debtor.name[:_NAME_LENGTH])
    address = sub(party, "PstlAdr")
    sub(address, "StrtNm", debtor.street[:70])
    sub(address, "PstCd", debtor.postal_code[:16])
    sub(address, "TwnNm", debtor.city[:35])
    sub(address, "Ctry", debtor.country)
    sub(sub(sub(block, "DbtrAcct"), "Id"), "IBAN", debtor.iban)
    agent(block, "DbtrAgt", debtor.bic)
    sub(block, "ChrgBr", "SLEV")
    for transfer in run.transfers:
        transaction = sub(block, "CdtTrfTxInf")
        sub(sub(transaction, "PmtId"), "EndToEndId", transfer.end_to_end_id[:35])
        amount = sub(sub(transaction, "Amt"), "InstdAmt", euros(transfer.amount_cents))
        amount.set("Ccy", "EUR")
        if transfer.creditor_bic:
            agent(transaction, "CdtrAgt", transfer.creditor_bic)
        sub(sub(transaction, "Cdtr"), "Nm", transfer.creditor_name[:_NAME_LENGTH])
        sub(sub(sub(transaction, "CdtrAcct"), "Id"), "IBAN", transfer.creditor_iban)
        sub(sub(transaction, "Purp"), "Cd", "SALA")
        sub(sub(transaction, "RmtInf"), "Ustrd", transfer.remittance[:_TEXT_LENGTH])
    validator = schema(version)
    if not validator.validate(document):
        raise SepaFileInvalid(str(validator.error_log.last_error))
    xml: bytes = etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml
