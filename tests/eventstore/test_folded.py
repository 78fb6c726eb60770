"""Folds kept between loads (`shared/eventstore/folded.py`): a load reads only what is new, and
always answers what a fold from the first event would."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.decider import Decider
from shared.events.base import Context, DomainEvent, event
from shared.events.contracts import MemberText
from shared.eventstore.codec import to_new_events
from shared.eventstore.folded import FOLDED, LONGEST
from shared.eventstore.handling import load
from shared.eventstore.port import ANY, RecordedEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.personal.vault import ERASED, current_vault

CONTEXT = Context.new("test")


@event
class KeptFoldRenamed(DomainEvent):
    member_id: str
    name: MemberText


Names = tuple[str, ...]


def _names(names: Names, e: DomainEvent) -> Names:
    assert isinstance(e, KeptFoldRenamed)
    return (*names, e.name)


def _nothing(command: object, state: Names) -> list[DomainEvent]:
    return []


renames: Decider[object, Names] = Decider(lambda: (), _nothing, _names)
same_folds_other_decider: Decider[object, Names] = Decider(lambda: (), _nothing, _names)


class CountingStore(SQLiteEventStore):
    """The real engine, noting where each stream read starts."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.reads: list[int] = []

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        self.reads.append(from_version)
        return super().read_stream(stream, from_version)


def _rename(store: SQLiteEventStore, member_id: str, *names: str) -> None:
    events = [KeptFoldRenamed(member_id=member_id, name=name) for name in names]
    store.append(f"sample-{member_id}", to_new_events(events, CONTEXT), ANY)


def _full_fold(store: SQLiteEventStore, stream: str) -> object:
    return load(_Unkept(store), stream, renames).state  # type: ignore[arg-type]


class _Unkept:
    """The same store under another identity: nothing kept for it yet."""

    def __init__(self, store: SQLiteEventStore) -> None:
        self.store = store

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        return self.store.read_stream(stream, from_version)


def test_a_second_load_reads_only_the_events_after_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FOLDED, "verify", False)  # its check reads the whole stream again
    store = CountingStore(str(tmp_path / "e.db"))
    member = uuid.uuid4().hex
    _rename(store, member, "Ada", "Grace")
    first = load(store, f"sample-{member}", renames)
    assert load(store, f"sample-{member}", renames) is first  # nothing new: the same fold
    _rename(store, member, "Hedy")
    later = load(store, f"sample-{member}", renames)
    assert store.reads == [0, 2, 2]
    assert later.state == ("Ada", "Grace", "Hedy") and later.version == 2
    assert [e.version for e in later.envelopes] == [0, 1, 2]


def test_an_erased_key_is_never_answered_from_a_kept_fold(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    member = uuid.uuid4().hex
    _rename(store, member, "Ada")
    assert load(store, f"sample-{member}", renames).state == ("Ada",)
    current_vault().erase(f"member/{member}")
    assert load(store, f"sample-{member}", renames).state == (ERASED,)


def test_a_key_store_written_by_another_process_forgets_the_opened_folds(tmp_path: Path) -> None:
    vault = current_vault()
    before = vault.epoch()
    vault._checked = 0.0  # past the freshness window
    vault.keys.changed_elsewhere = lambda: True  # type: ignore[method-assign]
    try:
        assert vault.epoch() == before + 1
    finally:
        del vault.keys.changed_elsewhere


def test_sealed_and_opened_folds_are_kept_apart(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    member = uuid.uuid4().hex
    _rename(store, member, "Ada")
    opened = load(store, f"sample-{member}", renames)
    sealed = load(store, f"sample-{member}", renames, reveal=False)
    assert opened.state == ("Ada",) and sealed.state != ("Ada",)
    assert load(store, f"sample-{member}", renames).state == ("Ada",)


def test_another_decider_or_store_folds_from_the_start(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path / "e.db"))
    other = CountingStore(str(tmp_path / "other.db"))
    member = uuid.uuid4().hex
    _rename(store, member, "Ada")
    _rename(other, member, "Grace")
    load(store, f"sample-{member}", renames)
    load(store, f"sample-{member}", same_folds_other_decider)
    assert store.reads == [0, 0]
    assert load(other, f"sample-{member}", renames).state == ("Grace",)


def test_a_long_stream_is_not_kept(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path / "e.db"))
    member = uuid.uuid4().hex
    _rename(store, member, *(f"name {n}" for n in range(LONGEST + 1)))
    load(store, f"sample-{member}", renames)
    load(store, f"sample-{member}", renames)
    assert store.reads == [0, 0]


def test_the_kept_streams_and_events_are_bounded(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    for n in range(FOLDED.capacity + 10):
        _rename(store, f"m{n}", "Ada")
        load(store, f"sample-m{n}", renames)
    assert len(FOLDED._by_store[store]) == FOLDED.capacity
    long_names = [f"name {n}" for n in range(LONGEST)]
    for n in range(FOLDED.events // LONGEST + 5):
        _rename(store, f"long{n}", *long_names)
        load(store, f"sample-long{n}", renames)
    kept = FOLDED._by_store[store]
    assert kept.events == sum(len(k.loaded.envelopes) for k in kept.values()) <= FOLDED.events


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.lists(st.sampled_from("abc"), max_size=3))))
def test_any_interleaving_of_appends_and_loads_answers_the_full_fold(
    steps: Sequence[tuple[int, list[str]]],
) -> None:
    store = SQLiteEventStore(":memory:")
    members = [uuid.uuid4().hex for _ in range(3)]
    for which, names in steps:
        member = members[which]
        if names:
            _rename(store, member, *names)
        loaded = load(store, f"sample-{member}", renames)
        assert loaded.state == _full_fold(store, f"sample-{member}")
        assert [e.version for e in loaded.envelopes] == list(range(len(loaded.state)))


def _append_in_place(names: list[str], e: DomainEvent) -> list[str]:
    assert isinstance(e, KeptFoldRenamed)
    names.append(e.name)  # what an evolve must never do
    return names


def test_an_evolve_that_changes_its_state_in_place_is_caught(tmp_path: Path) -> None:
    impure: Decider[object, list[str]] = Decider(list, lambda c, s: [], _append_in_place)
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    member = uuid.uuid4().hex
    _rename(store, member, "Ada")
    kept = load(store, f"sample-{member}", impure)
    impure.fold([KeptFoldRenamed(member_id=member, name="Grace")], kept.state)  # as handlers do
    _rename(store, member, "Grace")
    with pytest.raises(RuntimeError, match="differs from a fold from its start"):
        load(store, f"sample-{member}", impure)
