"""The platform's handlers on the real SQLite engine: what they append, and what this process
and others see of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from services.platform.domain import (
    ClockNotSimulated,
    IssueApiKey,
    KeyIdTaken,
    KeyNotFound,
)
from services.platform.handlers import (
    issue_api_key,
    new_credentials,
    revoke_api_key,
    set_simulated_date,
)
from shared.clock import CLOCK_STREAM, SimulatedClock, SystemClock
from shared.events.base import Context
from shared.events.platform import ApiKeyRevoked, SimulatedDateSet
from shared.eventstore.codec import decode
from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.auth import KeyRing, Principal, is_key_id, key_stream
from tests.kit import ADMIN_KEY
from tests.ticks import Ticks

CONTEXT = Context.new("admin:admin")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteEventStore]:
    store = SQLiteEventStore(str(path))
    yield store
    store.close()


@pytest.fixture
def other_store(path: Path) -> Iterator[SQLiteEventStore]:
    """The same file opened by another process."""
    store = SQLiteEventStore(str(path))
    yield store
    store.close()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def keyring(store: SQLiteEventStore, ticks: Ticks) -> KeyRing:
    return KeyRing(store, ADMIN_KEY, monotonic=ticks)


def _credentials() -> tuple[str, str]:
    """Random ones: a context without an Idempotency-Key."""
    return new_credentials(b"server-secret", Context.new("test"))


def issue_ops(store: SQLiteEventStore, keyring: KeyRing, secret: str = "s") -> IssueApiKey:
    command = IssueApiKey(key_id=_credentials()[0], role="ops", secret=secret)
    issue_api_key(store, keyring, command, CONTEXT)
    return command


def events_of(store: SQLiteEventStore, stream: str) -> list[object]:
    return [decode(recorded).event for recorded in store.read_stream(stream)]


class TestIssuing:
    def test_the_new_key_works_at_once_in_this_process(
        self, store: SQLiteEventStore, keyring: KeyRing
    ) -> None:
        command = IssueApiKey(
            key_id=_credentials()[0], role="member", secret=_credentials()[1], member_id="m-1"
        )

        issued = issue_api_key(store, keyring, command, CONTEXT)

        assert issued.key == f"coop_{command.key_id}_{command.secret}"
        assert keyring.authenticate(issued.key) == Principal(command.key_id, "member", "m-1")
        assert issued.info.issued_by == "admin:admin" and issued.info.member_id == "m-1"
        [recorded] = store.read_stream(key_stream(command.key_id))
        assert issued.position == recorded.position

    def test_the_secret_is_never_stored(self, store: SQLiteEventStore, keyring: KeyRing) -> None:
        secret = _credentials()[1]
        issue_ops(store, keyring, secret)

        stored = b"".join(e.data + e.metadata for e in store.read_all())
        assert secret.encode() not in stored

    def test_the_same_command_again_issues_nothing_twice(
        self, store: SQLiteEventStore, keyring: KeyRing
    ) -> None:
        """What a retried request with the same derived id and secret will do."""
        command = IssueApiKey(key_id=_credentials()[0], role="ops", secret="derived")
        first = issue_api_key(store, keyring, command, CONTEXT)

        again = issue_api_key(store, keyring, command, CONTEXT)

        assert again == first
        assert len(store.read_stream(key_stream(command.key_id))) == 1

    def test_another_secret_under_a_taken_id_is_refused(
        self, store: SQLiteEventStore, keyring: KeyRing
    ) -> None:
        command = issue_ops(store, keyring, "first")

        with pytest.raises(KeyIdTaken):
            issue_api_key(store, keyring, IssueApiKey(command.key_id, "ops", "second"), CONTEXT)

    def test_an_ill_formed_key_id_is_refused_before_the_store(
        self, store: SQLiteEventStore, keyring: KeyRing
    ) -> None:
        with pytest.raises(ValueError, match="not a key id"):
            issue_api_key(store, keyring, IssueApiKey("Not-Hex", "ops", "s"), CONTEXT)
        assert store.head() == 0


class TestRevoking:
    def test_the_key_stops_working_at_once_in_this_process(
        self, store: SQLiteEventStore, keyring: KeyRing
    ) -> None:
        command = issue_ops(store, keyring)
        key = f"coop_{command.key_id}_{command.secret}"
        assert keyring.authenticate(key) is not None

        info, position = revoke_api_key(store, keyring, command.key_id, CONTEXT)

        assert info.revoked and keyring.authenticate(key) is None
        assert events_of(store, key_stream(command.key_id))[1:] == [
            ApiKeyRevoked(key_id=command.key_id)
        ]
        assert position == store.head()

    def test_revoking_twice_answers_the_first_revocation(
        self, store: SQLiteEventStore, keyring: KeyRing
    ) -> None:
        key_id = issue_ops(store, keyring).key_id
        first = revoke_api_key(store, keyring, key_id, CONTEXT)

        again = revoke_api_key(store, keyring, key_id, CONTEXT)

        assert again == first
        assert len(store.read_stream(key_stream(key_id))) == 2

    @pytest.mark.parametrize("key_id", ["0123456789abcdef", "nope", "../x"])
    def test_an_unknown_key_is_not_found(
        self, store: SQLiteEventStore, keyring: KeyRing, key_id: str
    ) -> None:
        with pytest.raises(KeyNotFound):
            revoke_api_key(store, keyring, key_id, CONTEXT)
        assert store.head() == 0

    def test_another_process_stops_honouring_it_within_its_interval(
        self,
        store: SQLiteEventStore,
        keyring: KeyRing,
        other_store: SQLiteEventStore,
        ticks: Ticks,
    ) -> None:
        theirs = KeyRing(other_store, ADMIN_KEY, monotonic=ticks)
        command = issue_ops(store, keyring)
        key = f"coop_{command.key_id}_{command.secret}"
        assert theirs.authenticate(key) is not None  # a new key: found at once

        revoke_api_key(store, keyring, command.key_id, CONTEXT)
        ticks.seconds += theirs.refresh_interval

        assert theirs.authenticate(key) is None


class TestSettingTheSimulatedDate:
    def test_the_date_is_recorded_and_holds_at_once(self, store: SQLiteEventStore) -> None:
        clock = SimulatedClock(store, monotonic=Ticks())
        clock.today()  # read once: the next read is an interval away

        position = set_simulated_date(store, clock, date(2026, 3, 2), CONTEXT)

        assert clock.today() == date(2026, 3, 2)
        [recorded] = store.read_stream(CLOCK_STREAM)
        assert decode(recorded).event == SimulatedDateSet(today=date(2026, 3, 2))
        assert decode(recorded).metadata.actor == "admin:admin"
        assert position == recorded.position

    def test_the_same_date_again_records_nothing(self, store: SQLiteEventStore) -> None:
        clock = SimulatedClock(store)
        first = set_simulated_date(store, clock, date(2026, 3, 2), CONTEXT)

        again = set_simulated_date(store, clock, date(2026, 3, 2), CONTEXT)

        assert again == first and len(store.read_stream(CLOCK_STREAM)) == 1

    def test_every_process_sees_it_within_its_interval(
        self, store: SQLiteEventStore, other_store: SQLiteEventStore
    ) -> None:
        ticks = Ticks()
        theirs = SimulatedClock(other_store, monotonic=ticks)
        before = theirs.today()

        set_simulated_date(store, SimulatedClock(store), date(2026, 3, 2), CONTEXT)
        assert theirs.today() == before
        ticks.seconds += theirs.refresh_interval
        assert theirs.today() == date(2026, 3, 2)

        set_simulated_date(store, SimulatedClock(store), date(2026, 2, 27), CONTEXT)
        ticks.seconds += theirs.refresh_interval
        assert theirs.today() == date(2026, 2, 27)

    def test_the_system_clock_cannot_be_set(self, store: SQLiteEventStore) -> None:
        with pytest.raises(ClockNotSimulated):
            set_simulated_date(store, SystemClock(), date(2026, 3, 2), CONTEXT)
        assert store.read_stream(CLOCK_STREAM) == []


def test_a_retried_request_derives_the_same_credentials_and_another_one_others() -> None:
    retried = Context.new("admin:admin")
    retried = dataclasses.replace(retried, idempotency_key="k1", request_digest="d")
    other = dataclasses.replace(retried, idempotency_key="k2")
    first, again = new_credentials(b"s", retried), new_credentials(b"s", retried)
    assert first == again and is_key_id(first[0])
    assert new_credentials(b"s", other) != first
    assert new_credentials(b"another server", retried) != first
