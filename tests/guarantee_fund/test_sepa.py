"""The run's pain.001 validates against the XSD sepaxml ships, and says what the run paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services.guarantee_fund import sepa
from shared.parameters import cooperative

RUN = sepa.RunFile(
    "2026-05-08-1", datetime(2026, 5, 8, 6, 0, tzinfo=UTC), date(2026, 5, 8),
    [
        sepa.Transfer("Sabc", "Amélie Dupont", "BE68539007547034", None, 42823,
                      "Salaire prestation abc (échéance 2026-05-09)"),
        sepa.Transfer("Sdef", "Jan Peeters", "BE71096123456769", "GKCCBEBB", 1001,
                      "Salaire prestation def (échéance 2026-05-09)"),
    ],
)  # fmt: skip


def parsed(version: sepa.PainVersion) -> tuple[etree._Element, dict[str, str]]:
    xml = sepa.build(RUN, cooperative(), version)
    document = etree.fromstring(xml)
    assert sepa.schema(version).validate(document), sepa.schema(version).error_log
    return document, {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}


@pytest.mark.parametrize("version", ["pain.001.001.09", "pain.001.001.03"])
def test_the_file_validates_and_its_sums_are_the_runs(version: sepa.PainVersion) -> None:
    document, ns = parsed(version)
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns) == "2"
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "438.24"
    amounts = [Decimal(a.text) for a in document.findall(".//p:InstdAmt", namespaces=ns)]
    assert sum(amounts) == Decimal("438.24") and len(amounts) == 2
    assert document.findtext(".//p:PmtTpInf/p:CtgyPurp/p:Cd", namespaces=ns) == "SALA"
    assert [e.text for e in document.findall(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=ns)] == [
        "BE68539007547034", "BE71096123456769",
    ]  # fmt: skip
    assert "prestation abc" in (document.findtext(".//p:RmtInf/p:Ustrd", namespaces=ns) or "")


def test_the_debtor_address_is_structured_and_the_date_a_business_day() -> None:
    document, ns = parsed("pain.001.001.09")
    address = document.find(".//p:Dbtr/p:PstlAdr", namespaces=ns)
    assert address is not None and address.find("p:AdrLine", namespaces=ns) is None
    fields = {child.tag.split("}")[1]: child.text for child in address}
    assert fields == {"StrtNm": "Rue de l'Exemple 1", "PstCd": "1000", "TwnNm": "Bruxelles",
                      "Ctry": "BE"}  # fmt: skip
    assert document.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=ns) == "2026-05-08"


def test_a_file_a_bank_would_refuse_is_never_handed_out() -> None:
    broken = replace(RUN, transfers=[replace(RUN.transfers[0], creditor_iban="not an iban")])
    with pytest.raises(sepa.SepaFileInvalid):
        sepa.build(broken, cooperative())
    with pytest.raises(sepa.SepaFileInvalid):
        sepa.build(replace(RUN, transfers=[]), cooperative())
