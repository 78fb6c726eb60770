"""The consumers of a process share their decodes (sealed only), and a decision that reads no
personal value folds its stream sealed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.contracts.domain import member_decider
from shared.events.contracts import MemberRegistered
from shared.eventstore.codec import RecentDecodes, decode
from shared.eventstore.handling import load
from shared.eventstore.sqlite import SQLiteEventStore
from tests.personal.test_codec_sealing import NISS, appended, member


@pytest.fixture
def store() -> Iterator[SQLiteEventStore]:
    store = SQLiteEventStore(":memory:")
    yield store
    store.close()


def test_an_event_decoded_once_is_handed_to_every_consumer_as_is(store) -> None:
    appended(store, "member-M-1", member())
    decodes = RecentDecodes()
    (recorded,) = store.read_stream("member-M-1")
    (again,) = store.read_stream("member-M-1")  # another read: equal, not the same tuple

    first = decodes.decode(recorded)

    assert decodes.decode(recorded) is first and decodes.decode(again) is first
    assert first == decode(recorded)
    assert isinstance(first.event, MemberRegistered)
    assert first.event.niss.startswith("{pii1:member/M-1:")  # sealed: nothing opened kept


def test_a_lookalike_under_a_known_id_is_decoded_from_its_own_bytes(store) -> None:
    appended(store, "member-M-1", member())
    decodes = RecentDecodes()
    (recorded,) = store.read_stream("member-M-1")
    decodes.decode(recorded)
    changed = recorded._replace(data=recorded.data.replace(b'"gender":"F"', b'"gender":"M"'))

    assert decodes.decode(changed).event.model_dump()["gender"] == "M"


def test_only_the_latest_events_are_kept(store) -> None:
    appended(store, "member-M-1", member())
    appended(store, "member-M-2", member(member_id="M-2"))
    decodes = RecentDecodes(capacity=1)
    first, second = store.read_stream("member-M-1")[0], store.read_stream("member-M-2")[0]
    kept = decodes.decode(first)
    decodes.decode(second)

    assert decodes.decode(first) is not kept  # forgotten, decoded again
    assert len(decodes._held) == 1


def test_a_decision_that_reads_no_personal_value_folds_the_sealed_stream(store) -> None:
    appended(store, "member-M-1", member())

    opened = load(store, "member-M-1", member_decider)
    sealed = load(store, "member-M-1", member_decider, reveal=False)

    assert opened.version == sealed.version == 0
    assert NISS in repr(opened.state) and NISS not in repr(sealed.state)
    assert "{pii1:member/M-1:" in repr(sealed.state)
