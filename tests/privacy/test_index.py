"""Which events the personal-data index finds a member in."""

from __future__ import annotations

import datetime as dt

from services.privacy.access import (
    PersonalDataIndex,
    index_version,
    members_named,
    types_naming_members,
)
from shared.events.billing import InvoiceNumberAssigned
from shared.events.contracts import DimonaDeclared
from shared.events.governance import AssemblyConvened, Candidate, Election

DAY = dt.date(2026, 3, 2)


def test_the_types_that_can_name_a_member() -> None:
    types = types_naming_members()

    assert {"MemberRegistered", "ClientRegistered", "SalaryPaid", "AssemblyConvened",
            "SharePurchaseNumbered", "ErasureRequested", "ApiKeyIssued"} <= types  # fmt: skip
    assert not {"InvoiceNumberAssigned", "BankStatementImported", "SimulatedDateSet"} & types


def test_a_member_named_deep_inside_an_event() -> None:
    convened = AssemblyConvened(
        assembly_id="A1", title="AG 2026", held_on=DAY, convened_on=DAY, resolutions=(),
        election=Election(election_id="E1", seats=2, candidates=(
            Candidate(member_id="m1", gender="F", category="A"),
            Candidate(member_id="m2", gender="M", category="A"),
        )),
        max_proxies_per_voter=1,
    )  # fmt: skip

    assert members_named(convened) == {"m1", "m2"}


def test_a_value_sealed_for_a_member_names_it() -> None:
    declared = DimonaDeclared(
        declaration_id="D1", prestation_id="P1", contract_id="C1", kind="IN",
        refers_to_declaration_id=None, hours_per_day=None, declared_on=DAY,
        payload={"worker": {"ssin": "{pii1:member/m7:" + "A" * 40 + "}"}},
    )  # fmt: skip

    assert members_named(declared) == {"m7"}


def test_an_event_naming_no_one() -> None:
    numbered = InvoiceNumberAssigned(
        year=2026, sequence=1, number="2026-000001", invoice_id="I1", issue_date=DAY
    )
    assert members_named(numbered) == set()


def test_the_index_version_follows_the_types_it_folds() -> None:
    index = PersonalDataIndex()
    more = index.handles | {"SomeEventThatCameToNameMembers"}

    assert index.version == index_version(PersonalDataIndex.LAYOUT, index.handles)
    assert index_version(PersonalDataIndex.LAYOUT, more) != index.version
    assert index_version(PersonalDataIndex.LAYOUT + 1, index.handles) != index.version
