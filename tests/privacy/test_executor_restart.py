"""The erasure scheduler's two steps called apart: a crash after `PersonalDataErased` was
appended and before the key was deleted still ends, at the next start, with the key erased,
and nothing is decided twice."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.privacy import keys
from services.privacy.app import PrivacyService, build
from shared.clock import SimulatedClock
from shared.events.base import Context
from shared.events.contracts import ClientRegistered, MemberRegistered
from shared.events.governance import ShareholderAdmitted
from shared.eventstore.codec import to_new_events
from shared.eventstore.factory import open_store
from shared.eventstore.port import NO_STREAM, EventStore
from shared.personal import install_vault
from tests.api.api_client import TODAY, api_settings

DEADLINE = 15.0


@contextmanager
def privacy_over(
    data_dir: Path, *, with_executor: bool
) -> Iterator[tuple[PrivacyService, EventStore]]:
    """The privacy service alone over the data directory: its projections running, and its
    executor (the key reaction, the timer) only `with_executor`."""
    settings = api_settings(data_dir)
    store = open_store(settings.event_store)
    install_vault(settings.keystore_path)  # as the composition roots do
    clock = SimulatedClock(store)
    clock.set_today(TODAY)
    service = build(settings, store, clock)
    started = [c for c in service.components if with_executor or c is not service.executor]
    for component in started:
        component.start()
    try:
        yield service, store
    finally:
        for component in reversed(started):
            component.stop()
        store.close()


def registered(store: EventStore) -> str:
    member_id = uuid.uuid4().hex
    event = MemberRegistered(
        member_id=member_id, first_name="Ana", last_name="Peeters", email="ana@example.be",
        niss="85073003328", iban="BE71096123456769", bic=None, gender="F", address=None,
        registered_on=TODAY,
    )  # fmt: skip
    store.append(f"member-{member_id}", to_new_events([event], Context.new("test")), NO_STREAM)
    return member_id


def erased_types(store: EventStore, member_id: str) -> list[str]:
    return [e.type for e in store.read_stream(f"erasure-{member_id}")]


def test_a_crash_between_the_event_and_the_key_still_ends_with_the_key_erased(
    tmp_path: Path,
) -> None:
    with privacy_over(tmp_path, with_executor=False) as (service, store):
        member_id = registered(store)
        context = Context.new("test", dt.datetime.now(dt.UTC))
        service.runtime.retention.caught_up()
        service.runtime.handlers.request_erasure(member_id, "member", True, context)
        (appended,) = service.executor.record_due()  # step 1 only: then the "crash"
        assert appended.subjects == (f"member/{member_id}",)
        assert not keys.is_erased(f"member/{member_id}")

    with privacy_over(tmp_path, with_executor=True) as (service, store):
        deadline = time.monotonic() + DEADLINE
        while not keys.is_erased(f"member/{member_id}"):  # the key reaction, from its checkpoint
            assert time.monotonic() < deadline, service.executor.status()
            time.sleep(0.02)
        assert service.executor.run_once() == []
        assert erased_types(store, member_id) == ["ErasureRequested", "PersonalDataErased"]

    with privacy_over(tmp_path, with_executor=True) as (service, store):
        assert service.executor.record_due() == []  # a second start decides nothing again
        assert erased_types(store, member_id) == ["ErasureRequested", "PersonalDataErased"]
        assert keys.is_erased(f"member/{member_id}")


def test_a_request_held_back_stays_pending(tmp_path: Path) -> None:
    with privacy_over(tmp_path, with_executor=False) as (service, store):
        member_id = registered(store)
        context = Context.new("test", dt.datetime.now(dt.UTC))
        admitted = ShareholderAdmitted(
            member_id=member_id, kind="person", name="Ana Peeters", domicile="Bruxelles",
            enterprise_number=None, admitted_on=TODAY,
        )  # fmt: skip
        store.append(f"shareholder-{member_id}", to_new_events([admitted], context), NO_STREAM)
        service.runtime.handlers.request_erasure(member_id, "member", True, context)

        assert service.executor.record_due() == []  # in the register of shares: held
        assert erased_types(store, member_id) == ["ErasureRequested"]
        assert not keys.is_erased(f"member/{member_id}")


def test_a_clients_keys_too_are_erased_by_the_reaction_after_a_crash(tmp_path: Path) -> None:
    client_id = uuid.uuid4().hex
    subjects = (f"client/{client_id}",)
    with privacy_over(tmp_path, with_executor=False) as (service, store):
        event = ClientRegistered(
            client_id=client_id, name="Jeanne Dupont", email="jeanne@example.be", country="BE",
            vat_number=None, address=None, registered_on=TODAY,
        )  # fmt: skip
        store.append(f"client-{client_id}", to_new_events([event], Context.new("test")), NO_STREAM)
        context = Context.new("test", dt.datetime.now(dt.UTC))
        assert service.runtime.retention.current()
        kind = service.runtime.retention.client_kind(client_id)
        service.runtime.handlers.request_client_erasure(client_id, kind, context)
        (appended,) = service.executor.record_due()  # step 1 only: then the "crash"
        assert appended.subjects == subjects and not keys.is_erased(subjects[0])

    with privacy_over(tmp_path, with_executor=True) as (service, store):
        deadline = time.monotonic() + DEADLINE
        while not keys.is_erased(subjects[0]):  # the key reaction, from its checkpoint
            assert time.monotonic() < deadline, service.executor.status()
            time.sleep(0.02)
        assert service.executor.run_once() == []
        recorded = [e.type for e in store.read_stream(f"clienterasure-{client_id}")]
        assert recorded == ["ClientErasureRequested", "ClientPersonalDataErased"]
