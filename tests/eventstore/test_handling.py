"""Command handling and reactions on the real SQLite engine."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from shared.decider import Decider, DomainError
from shared.events.base import Context, DomainEvent, Envelope, event
from shared.eventstore.codec import to_new_events
from shared.eventstore.handling import Handled, Job, PreconditionFailed, handle, handle_batch, load
from shared.eventstore.port import ANY, AppendRequest, AppendResult, WrongExpectedVersion
from shared.eventstore.reactions import ReactionRunner
from shared.eventstore.sqlite import SQLiteEventStore


@event
class SampleDeposited(DomainEvent):
    amount: int


class Deposit:
    def __init__(self, amount: int, limit: int = 1_000) -> None:
        self.amount, self.limit = amount, limit


def decide(command: Deposit, balance: int) -> Sequence[DomainEvent]:
    if balance + command.amount > command.limit:
        raise DomainError("over the limit")
    return [SampleDeposited(amount=command.amount)] if command.amount else []


def evolve(balance: int, e: DomainEvent) -> int:
    assert isinstance(e, SampleDeposited)
    return balance + e.amount


account = Decider(lambda: 0, decide, evolve)
CONTEXT = Context.new("test")


def test_handle_appends_what_the_decider_produces(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    handled = handle(store, "account-1", account, Deposit(10), CONTEXT)
    assert handled.state == 10 and handled.position == 1
    assert handle(store, "account-1", account, Deposit(0), CONTEXT).result is None
    assert load(store, "account-1", account).state == 10


def test_concurrent_commands_lose_no_update(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    start = threading.Barrier(8)

    def deposit() -> None:
        start.wait()
        for _ in range(10):
            handle(store, "account-1", account, Deposit(1), CONTEXT, attempts=50)

    threads = [threading.Thread(target=deposit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert load(store, "account-1", account).state == 80


def test_the_rule_is_checked_again_after_a_conflict(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    handle(store, "account-1", account, Deposit(900), CONTEXT)
    calls = 0

    def command(balance: int) -> Deposit:
        nonlocal calls
        calls += 1
        if calls == 1:  # another writer slips in between this load and its append
            store.append("account-1", to_new_events([SampleDeposited(amount=50)], CONTEXT), ANY)
        return Deposit(60)

    with pytest.raises(DomainError, match="over the limit"):
        handle(store, "account-1", account, command, CONTEXT)
    assert load(store, "account-1", account).state == 950


def test_bounded_retries_end_in_the_conflict(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))

    def always_raced(balance: int) -> Deposit:
        store.append("account-1", to_new_events([SampleDeposited(amount=0)], CONTEXT), ANY)
        return Deposit(1)

    with pytest.raises(WrongExpectedVersion):
        handle(store, "account-1", account, always_raced, CONTEXT, attempts=3)


def test_a_reaction_retries_until_it_succeeds_and_resumes_after_restart(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    seen: list[int] = []
    failures = iter([True, False])

    def react(envelope: Envelope) -> None:
        assert isinstance(envelope.event, SampleDeposited)
        if envelope.event.amount == 2 and next(failures, False):
            raise RuntimeError("flaky downstream")
        seen.append(envelope.event.amount)

    checkpoint = tmp_path / "reactions.sqlite"
    runner = ReactionRunner(store, "sample", ("SampleDeposited",), react, checkpoint)
    runner.start()
    for amount in (1, 2, 3):
        store.append("account-1", to_new_events([SampleDeposited(amount=amount)], CONTEXT), ANY)
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.stop()
    assert seen == [1, 2, 3]

    store.append("account-1", to_new_events([SampleDeposited(amount=4)], CONTEXT), ANY)
    restarted = ReactionRunner(store, "sample", ("SampleDeposited",), react, checkpoint)
    restarted.start()
    deadline = time.monotonic() + 10
    while len(seen) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    restarted.stop()
    assert seen == [1, 2, 3, 4]


def test_if_match_decides_on_that_version_or_not_at_all(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    handle(store, "account-1", account, Deposit(10), CONTEXT)
    assert handle(store, "account-1", account, Deposit(5), CONTEXT, if_match=0).version == 1
    with pytest.raises(PreconditionFailed):
        handle(store, "account-1", account, Deposit(5), CONTEXT, if_match=0)
    assert load(store, "account-1", account).state == 15


def test_a_batch_appends_independent_commands_in_one_transaction(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    handle(store, "account-3", account, Deposit(995), CONTEXT)
    jobs = [
        Job("account-1", account, Deposit(10), CONTEXT),
        Job("account-2", account, Deposit(0), CONTEXT),  # changes nothing
        Job("account-3", account, Deposit(10), CONTEXT),  # over the limit: refused
        Job("account-4", account, Deposit(20), CONTEXT),
    ]

    first, unchanged, refused, fourth = handle_batch(store, jobs)

    assert isinstance(first, Handled) and isinstance(fourth, Handled)
    assert (first.state, first.version, fourth.state, fourth.version) == (10, 0, 20, 0)
    assert first.result == fourth.result  # one append for both
    assert isinstance(unchanged, Handled) and unchanged.result is None
    assert isinstance(refused, DomainError)
    assert [e.stream for e in store.read_all()] == ["account-3", "account-1", "account-4"]


def test_a_batch_whose_stream_moved_is_handled_job_by_job(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))

    class Interleaving(SQLiteEventStore):
        moved = False

        def append_many(self, requests: Sequence[AppendRequest]) -> AppendResult:
            if not self.moved:  # another writer lands between the loads and the append
                self.moved = True
                store.append("account-1", to_new_events([SampleDeposited(amount=5)], CONTEXT), ANY)
            return super().append_many(requests)

    racing = Interleaving(str(tmp_path / "e.db"))
    jobs = [
        Job("account-1", account, Deposit(10), CONTEXT),
        Job("account-2", account, Deposit(20), CONTEXT),
    ]

    outcomes = handle_batch(racing, jobs)

    assert [o.state for o in outcomes if isinstance(o, Handled)] == [15, 20]
    assert load(store, "account-1", account).state == 15


def test_a_batch_names_each_stream_once(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "e.db"))
    twice = [Job("account-1", account, Deposit(1), CONTEXT)] * 2

    with pytest.raises(ValueError, match="at most once"):
        handle_batch(store, twice)
