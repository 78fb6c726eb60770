"""The store codec seals marked fields on append and opens them only when asked."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from shared.events.base import Context, DomainEvent
from shared.events.billing import BankStatementImported, StatementMovement
from shared.events.catalog import load_contexts
from shared.events.contracts import DimonaDeclared, MemberRegistered
from shared.events.personal import NotPersonal, Personal
from shared.eventstore.codec import decode, to_new_event
from shared.eventstore.port import NO_STREAM, AppendRequest
from shared.eventstore.sqlite import SQLiteEventStore
from shared.personal import ERASED, current_vault, personal_fields
from shared.personal.plans import MissingSubject, _marker, _part

NISS, IBAN = "85073003328", "BE68539007547034"


def member(**changes: object) -> MemberRegistered:
    fields: dict[str, object] = {
        "member_id": "M-1", "first_name": "Zoé", "last_name": "Vandersmissen",
        "email": "zoe@example.be", "niss": NISS, "iban": IBAN, "bic": None, "gender": "F",
        "address": "Rue Haute 1, 1000 Bruxelles", "registered_on": dt.date(2026, 3, 2),
    }  # fmt: skip
    return MemberRegistered.model_validate(fields | changes)


@pytest.fixture
def store() -> Iterator[SQLiteEventStore]:
    store = SQLiteEventStore(":memory:")
    yield store
    store.close()


def appended(store: SQLiteEventStore, stream: str, *events: DomainEvent) -> list[bytes]:
    context = Context.new("test")
    store.append_many(
        [AppendRequest(stream, [to_new_event(e, context) for e in events], NO_STREAM)]
    )
    return [r.data for r in store.read_stream(stream)]


def test_the_stored_event_holds_no_personal_value_in_clear(store: SQLiteEventStore) -> None:
    (data,) = appended(store, "member-M-1", member())
    for clear in (NISS, IBAN, "Vandersmissen", "zoe@example.be", "Rue Haute"):
        assert clear.encode() not in data
    stored = json.loads(data)
    assert stored["gender"] == "F" and stored["member_id"] == "M-1"  # the rest stays plain
    assert stored["niss"].startswith("{pii1:member/M-1:")


def test_a_projection_reads_sealed_values_a_decider_reads_clear_ones(
    store: SQLiteEventStore,
) -> None:
    appended(store, "member-M-1", member())
    (recorded,) = store.read_stream("member-M-1")
    sealed, opened = decode(recorded).event, decode(recorded, reveal=True).event
    assert isinstance(sealed, MemberRegistered) and isinstance(opened, MemberRegistered)
    assert sealed.niss != NISS and opened == member()
    assert decode(recorded).event == sealed  # the sealed text is the stored one, every time


def test_after_erasure_the_values_read_as_erased_and_the_facts_remain(
    store: SQLiteEventStore,
) -> None:
    appended(store, "member-M-9", member(member_id="M-9"))
    current_vault().erase("member/M-9")
    (recorded,) = store.read_stream("member-M-9")
    opened = decode(recorded, reveal=True).event
    assert isinstance(opened, MemberRegistered)
    assert (opened.niss, opened.last_name, opened.iban) == (ERASED, ERASED, ERASED)
    assert (opened.gender, opened.registered_on) == ("F", dt.date(2026, 3, 2))


def test_nested_parts_are_sealed_with_the_id_their_event_carries(
    store: SQLiteEventStore,
) -> None:
    movement = StatementMovement(
        sequence="0001", amount_cents=60_500, value_date=dt.date(2026, 3, 2),
        entry_date=dt.date(2026, 3, 2), structured_reference=None, communication="facture",
        counterparty_name="Jean Peeters", counterparty_account=IBAN, payment_id=None,
        matched_invoice_id=None,
    )  # fmt: skip
    statement = BankStatementImported(
        statement_id="S-1", format="coda", account_iban="BE71096123456769", sequence="001",
        statement_date=dt.date(2026, 3, 2), opening_balance_cents=0,
        closing_balance_cents=60_500, movements=(movement,), own_account=True,
        imported_on=dt.date(2026, 3, 2),
    )  # fmt: skip
    (data,) = appended(store, "bankstatement-S-1", statement)
    assert b"Jean Peeters" not in data and IBAN.encode() not in data
    assert b"BE71096123456769" in data  # the cooperative's own account is no one's data
    assert b"{pii1:statement/S-1:" in data


def test_a_marked_mapping_has_each_of_its_texts_sealed() -> None:
    declared = DimonaDeclared(
        declaration_id="D-1", prestation_id="P-1", contract_id="C-1", kind="IN",
        refers_to_declaration_id=None, hours_per_day=None,
        payload={"worker": {"ssin": NISS}, "hours": 8}, declared_on=dt.date(2026, 3, 2),
        member_id="M-1",
    )  # fmt: skip
    stored = json.loads(to_new_event(declared, Context.new("test")).data)
    assert stored["payload"]["hours"] == 8 and NISS not in stored["payload"]["worker"]["ssin"]


def test_a_personal_value_without_its_persons_id_is_refused() -> None:
    declared = DimonaDeclared(
        declaration_id="D-1", prestation_id="P-1", contract_id="C-1", kind="IN",
        refers_to_declaration_id=None, hours_per_day=None,
        payload={"worker": {"ssin": NISS}}, declared_on=dt.date(2026, 3, 2),
    )  # fmt: skip
    with pytest.raises(MissingSubject, match="member_id"):
        to_new_event(declared, Context.new("test"))


SUSPICIOUS = re.compile(
    r"niss|ssin|iban|name|e?mail|address|phone|birth|domicile|street|city|postal|recipient"
    r"|counterparty"
)


def _unmarked(model: type[BaseModel], path: str, seen: frozenset[type]) -> Iterator[str]:
    for name, info in model.model_fields.items():
        part = _part(info.annotation)
        if part is not None and part[0] not in seen:
            yield from _unmarked(part[0], f"{path}{name}.", seen | {part[0]})
        exempt = any(isinstance(m, NotPersonal) for m in info.metadata)
        if SUSPICIOUS.search(name) and _marker(info) is None and not exempt:
            yield path + name


def test_every_field_that_looks_personal_is_marked_or_exempted() -> None:
    unmarked = [
        field
        for event_type, cls in sorted(load_contexts().items())
        for field in _unmarked(cls, f"{event_type}.", frozenset())
    ]
    assert unmarked == [], "mark these with shared.events.personal (or NotPersonal(why))"


def test_the_marking_test_sees_an_unmarked_field() -> None:
    class Leaky(DomainEvent):
        member_id: str
        home_address: str

    assert list(_unmarked(Leaky, "", frozenset())) == ["home_address"]


def test_every_marked_field_names_an_id_its_event_carries() -> None:
    for event_type, cls in load_contexts().items():
        for path, marker in personal_fields(cls):
            assert isinstance(marker, Personal)
            owners = [cls] + [
                p[0] for n, i in cls.model_fields.items() if (p := _part(i.annotation))
            ]
            assert any(marker.id_field in m.model_fields for m in owners), (event_type, path)
