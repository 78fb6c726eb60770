"""How the KurrentDB engine recovers, without a server (issue 15).

The engine runs on a small fake of `KurrentDBClient` (its reads are context-managed iterators,
as the client's are) that raises the client's own exceptions where a follower or a server
would: a read that a follower fails while it is being iterated, a multi-stream append the
server fails without naming a cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from kurrentdbclient import RecordedEvent as ClientRecordedEvent
from kurrentdbclient.exceptions import (
    GrpcError,
    KurrentDBClientError,
    NodeIsNotLeaderError,
    NotFoundError,
    ServiceUnavailableError,
    UnknownError,
    WrongCurrentVersionError,
)

from shared.eventstore import kurrentdb
from shared.eventstore.kurrentdb import KurrentDBEventStore
from shared.eventstore.kurrentdb_recovery import (
    duplicate_streams,
    is_read_retryable,
    is_unexplained_failure,
    leader_target,
    replay_outcome,
)
from shared.eventstore.port import (
    ANY,
    EXISTS,
    NO_STREAM,
    AppendRequest,
    AppendResult,
    EventStoreError,
    NewEvent,
    StoreUnavailable,
    WrongExpectedVersion,
)

NOT_LEADER = NodeIsNotLeaderError("Leader info available", host="node2", port=2113)


def recorded(stream: str, version: int, position: int, id: uuid.UUID | None = None) -> Any:
    return ClientRecordedEvent(
        type="Happened",
        data=b"{}",
        metadata=b'{"actor": "test"}',
        content_type="application/json",
        id=id or uuid.uuid4(),
        stream_name=stream,
        stream_position=version,
        commit_position=position,
        prepare_position=position,
        recorded_at=None,
    )


def new_event(id: uuid.UUID | None = None) -> NewEvent:
    return NewEvent(id or uuid.uuid4(), "Happened", b"{}", b'{"actor": "test"}')


class FakeRead:
    """A read response: fails with `error` once `fail_after` events were yielded."""

    def __init__(
        self, events: Sequence[Any], error: Exception | None = None, fail_after: int = 1
    ) -> None:
        self.events, self.error, self.fail_after = events, error, fail_after

    def __enter__(self) -> FakeRead:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator[Any]:
        for i, event in enumerate(self.events):
            if self.error is not None and i == self.fail_after:
                raise self.error
            yield event


class FakeClient:
    """A node that is a follower (or unreachable) until the engine reconnects `fix_after` times."""

    def __init__(self, log: Sequence[Any], error: Exception = NOT_LEADER, fix_after: int = 1):
        self.log = list(log)
        self.error = error
        self.fix_after = fix_after
        self.connection_id = uuid.uuid4()
        self.reconnects: list[tuple[str | None, uuid.UUID | None]] = []
        self.append_error: Exception | None = None
        self.closed = False
        self.fail_after = 1  # events a read yields before it fails

    @property
    def failing(self) -> bool:
        return len(self.reconnects) < self.fix_after

    def reconnect(self, target: str | None = None, *, connection_id: Any = None) -> None:
        self.reconnects.append((target, connection_id))
        self.connection_id = uuid.uuid4()

    def read_all(self, *, backwards: bool = False, **_: Any) -> FakeRead:
        events = self.log[::-1] if backwards else self.log
        return FakeRead(events, self.error if self.failing else None, self.fail_after)

    def read_stream(self, stream: str, *, backwards: bool = False) -> FakeRead:
        events = [e for e in self.log if e.stream_name == stream]
        error = self.error if self.failing else None
        return FakeRead(events[::-1] if backwards else events, error, self.fail_after)

    def get_stream(self, stream: str, *, stream_position: int | None = None) -> tuple[Any, ...]:
        # The client's own retry covers get_stream; here it has run out.
        if self.failing:
            raise self.error
        found = tuple(e for e in self.log if e.stream_name == stream)
        if not found:
            raise NotFoundError(stream)
        return tuple(e for e in found if e.stream_position >= (stream_position or 0))

    def multi_append_to_stream(self, batch: Any) -> int:
        if self.append_error is not None:
            raise self.append_error
        return 999

    def close(self) -> None:
        self.closed = True


LOG = [recorded("invoice-1", 0, 100), recorded("invoice-1", 1, 200), recorded("quote-1", 0, 300)]


@pytest.fixture
def make_store(monkeypatch: pytest.MonkeyPatch) -> Any:
    def make(client: FakeClient) -> KurrentDBEventStore:
        monkeypatch.setattr(kurrentdb, "KurrentDBClient", lambda uri: client)
        return KurrentDBEventStore("kurrentdb://node1:2113?tls=false")

    return make


# --- item 2: reads follow a new leader ---------------------------------------------------------


def test_read_all_failing_midway_on_a_follower_is_redone_on_the_leader(make_store: Any) -> None:
    client = FakeClient(LOG)
    first_connection = client.connection_id
    store = make_store(client)
    events = store.read_all()
    # Once each, no duplicate of the event yielded before the failure.
    assert [e.position for e in events] == [100, 200, 300]
    assert client.reconnects == [("node2:2113", first_connection)]


def test_head_and_read_stream_follow_the_leader_too(make_store: Any) -> None:
    client = FakeClient(LOG)
    client.fail_after = 0  # a follower fails the first response
    assert make_store(client).head() == 300
    assert client.reconnects[0][0] == "node2:2113"
    client = FakeClient(LOG)
    assert [e.version for e in make_store(client).read_stream("invoice-1")] == [0, 1]
    assert len(client.reconnects) == 1


def test_a_lost_connection_reconnects_to_whatever_node_discovery_finds(make_store: Any) -> None:
    client = FakeClient(LOG, error=ServiceUnavailableError("Socket closed"))
    assert len(make_store(client).read_all()) == 3
    assert client.reconnects[0][0] is None


def test_a_not_leader_error_without_an_address_reconnects_by_discovery(make_store: Any) -> None:
    client = FakeClient(LOG, error=NodeIsNotLeaderError("Leader info available"))
    assert len(make_store(client).read_all()) == 3
    assert client.reconnects[0][0] is None


def test_a_read_is_retried_once_only(make_store: Any) -> None:
    client = FakeClient(LOG, fix_after=2)
    store = make_store(client)
    with pytest.raises(StoreUnavailable):
        store.read_all()
    assert len(client.reconnects) == 1
    client.reconnects.clear()
    with pytest.raises(StoreUnavailable):
        store.read_stream("invoice-1")
    assert len(client.reconnects) == 1


def test_other_read_errors_are_not_retried(make_store: Any) -> None:
    client = FakeClient(LOG, error=GrpcError("boom"))
    with pytest.raises(EventStoreError):
        make_store(client).read_all()
    assert client.reconnects == []


@pytest.mark.parametrize(
    ("error", "retryable", "target"),
    [
        (NOT_LEADER, True, "node2:2113"),
        (NodeIsNotLeaderError("x", host="node3", port=None), True, None),
        (ServiceUnavailableError("x"), True, None),
        (GrpcError("x"), False, None),
        (NotFoundError("x"), False, None),
    ],
)
def test_which_read_errors_are_retried_and_where(
    error: Exception, retryable: bool, target: str | None
) -> None:
    assert is_read_retryable(error) is retryable
    assert leader_target(error) == target


# --- item 5: a multi-stream append the server fails without a cause ----------------------------


def two_requests(a: list[NewEvent], b: list[NewEvent]) -> list[AppendRequest]:
    return [AppendRequest("invoice-1", a, NO_STREAM), AppendRequest("counter-1", b, 0)]


def test_a_retry_whose_ids_all_landed_answers_the_original_append() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    recorded_streams = {
        "invoice-1": [recorded("invoice-1", 0, 500, a)],
        "counter-1": [recorded("counter-1", 0, 100), recorded("counter-1", 1, 500, b)],
    }
    outcome = replay_outcome(two_requests([new_event(a)], [new_event(b)]), recorded_streams)
    assert outcome == AppendResult(500, {"invoice-1": 0, "counter-1": 1})


def test_a_partly_landed_retry_is_a_conflict_on_the_stream_that_did_not() -> None:
    a = uuid.uuid4()
    recorded_streams = {
        "invoice-1": [recorded("invoice-1", 0, 500, a)],
        "counter-1": [recorded("counter-1", 0, 100)],  # the expected version, but a new id
    }
    outcome = replay_outcome(two_requests([new_event(a)], [new_event()]), recorded_streams)
    assert isinstance(outcome, WrongExpectedVersion)
    assert (outcome.stream, outcome.expected, outcome.actual) == ("counter-1", 0, 0)


def test_nothing_landed_and_a_stream_moved_is_a_conflict() -> None:
    recorded_streams = {"counter-1": [recorded("counter-1", 0, 100), recorded("counter-1", 1, 200)]}
    outcome = replay_outcome(two_requests([new_event()], [new_event()]), recorded_streams)
    assert isinstance(outcome, WrongExpectedVersion)
    assert (outcome.stream, outcome.actual) == ("counter-1", 1)


@pytest.mark.parametrize(
    ("expected", "stream"),
    [(NO_STREAM, []), (ANY, []), (EXISTS, [0]), (1, [0, 1])],
)
def test_nothing_landed_and_every_stream_as_expected_leaves_the_failure(
    expected: Any, stream: list[int]
) -> None:
    events = [recorded("invoice-1", v, 100 + v) for v in stream]
    request = AppendRequest("invoice-1", [new_event()], expected)
    assert replay_outcome([request], {"invoice-1": events}) is None


@pytest.mark.parametrize(
    ("error", "unexplained"),
    [
        (KurrentDBClientError(""), True),
        (UnknownError("x"), True),
        (GrpcError("x"), True),
        (WrongCurrentVersionError("x"), False),
        (ServiceUnavailableError("x"), False),
        (NotFoundError("x"), False),
    ],
)
def test_only_failures_without_a_cause_are_re_read(error: Exception, unexplained: bool) -> None:
    assert is_unexplained_failure(error) is unexplained


def test_engine_answers_a_partly_idempotent_retry_as_the_retry_it_is(make_store: Any) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    log = [recorded("invoice-1", 0, 700, a), recorded("counter-1", 0, 100)]
    log.append(recorded("counter-1", 1, 700, b))
    client = FakeClient(log, fix_after=0)
    client.append_error = KurrentDBClientError("")  # the server's empty failure list
    result = make_store(client).append_many(two_requests([new_event(a)], [new_event(b)]))
    assert result == AppendResult(700, {"invoice-1": 0, "counter-1": 1})


def test_engine_answers_a_partly_landed_retry_as_the_conflict_it_is(make_store: Any) -> None:
    a = uuid.uuid4()
    log = [recorded("invoice-1", 0, 700, a), recorded("counter-1", 0, 100)]
    client = FakeClient(log, fix_after=0)
    client.append_error = KurrentDBClientError("")
    with pytest.raises(WrongExpectedVersion) as raised:
        make_store(client).append_many(two_requests([new_event(a)], [new_event()]))
    assert raised.value.stream == "counter-1"


def test_engine_keeps_an_unexplained_failure_when_nothing_explains_it(make_store: Any) -> None:
    client = FakeClient([recorded("counter-1", 0, 100)], fix_after=0)
    client.append_error = UnknownError("something else")
    with pytest.raises(EventStoreError, match="something else") as raised:
        make_store(client).append_many(two_requests([new_event()], [new_event()]))
    assert not isinstance(raised.value, WrongExpectedVersion | StoreUnavailable)


def test_engine_keeps_the_servers_account_of_a_version_conflict(make_store: Any) -> None:
    client = FakeClient([recorded("counter-1", 0, 100), recorded("counter-1", 1, 200)], fix_after=0)
    client.append_error = WrongCurrentVersionError(
        "x", stream_name="counter-1", actual_version=1, expected_version=0
    )
    with pytest.raises(WrongExpectedVersion) as raised:
        make_store(client).append_many(two_requests([new_event()], [new_event()]))
    assert (raised.value.stream, raised.value.expected, raised.value.actual) == ("counter-1", 0, 1)


# --- item 6: one stream twice, spelt in two cases ----------------------------------------------


def test_streams_are_compared_without_case_as_the_server_does() -> None:
    assert duplicate_streams(["Invoice-1", "quote-1", "invoice-1"]) == ["invoice-1"]
    assert duplicate_streams(["invoice-1", "invoice-1"]) == ["invoice-1"]
    assert duplicate_streams(["invoice-1", "invoice-2"]) == []


def test_engine_refuses_one_stream_in_two_cases_before_sending(make_store: Any) -> None:
    client = FakeClient([], fix_after=0)
    client.append_error = AssertionError("sent to the server")
    with pytest.raises(EventStoreError, match="one request per stream"):
        make_store(client).append_many(
            [
                AppendRequest("Invoice-1", [new_event()], NO_STREAM),
                AppendRequest("invoice-1", [new_event()], NO_STREAM),
            ]
        )


def test_a_server_without_multi_append_is_still_named_as_such(make_store: Any) -> None:
    # Its error is a bare GrpcError too: it must not be taken for an unexplained failure.
    client = FakeClient([], fix_after=0)
    client.append_error = GrpcError("<_InactiveRpcError status = UNIMPLEMENTED>")
    with pytest.raises(EventStoreError, match="no multi-stream append"):
        make_store(client).append_many(two_requests([new_event()], [new_event()]))
