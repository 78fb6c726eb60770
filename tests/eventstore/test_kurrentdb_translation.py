"""The KurrentDB engine's translation, without a server.

The pure functions are fed real client objects (kurrentdbclient's RecordedEvent, its
exceptions, its connection-string parser and filter-regex builders); the few engine tests use
the real client against a port nobody listens on, which is how an unreachable store looks.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kurrentdbclient import NewEvent as ClientNewEvent
from kurrentdbclient import RecordedEvent as ClientRecordedEvent
from kurrentdbclient import StreamState as ClientStreamState
from kurrentdbclient.common import (
    construct_filter_exclude_regex,
    construct_filter_include_regex,
)
from kurrentdbclient.connection_spec import ConnectionSpec
from kurrentdbclient.exceptions import (
    DiscoveryFailedError,
    GrpcDeadlineExceededError,
    GrpcError,
    LeaderNotFoundError,
    NodeIsNotLeaderError,
    NotFoundError,
    ProgrammingError,
    ServiceUnavailableError,
    StreamIsDeletedError,
    WrongCurrentVersionError,
)

from shared.eventstore.kurrentdb import KurrentDBEventStore
from shared.eventstore.kurrentdb_translation import (
    from_client_version,
    is_after,
    is_multi_append_unsupported,
    is_visible,
    multi_append_metadata_error,
    normalise_uri,
    plan_filter,
    port_metadata,
    read_start,
    recorded_retry,
    to_client_event,
    to_client_expected,
    to_port_event,
    translate_error,
    version_after,
)
from shared.eventstore.port import (
    ANY,
    EXISTS,
    NO_FILTER,
    NO_STREAM,
    START,
    AppendRequest,
    EventFilter,
    EventStore,
    EventStoreError,
    ExpectedVersion,
    InvalidStreamName,
    NewEvent,
    StoreUnavailable,
    WrongExpectedVersion,
)

RECORDED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def recorded(
    stream: str = "invoice-2026-000123",
    type: str = "InvoiceIssued",
    *,
    version: int = 0,
    position: int = 1000,
    id: uuid.UUID | None = None,
    recorded_at: datetime | None = RECORDED_AT,
) -> ClientRecordedEvent:
    return ClientRecordedEvent(
        type=type,
        data=b'{"amount": 100}',
        metadata=b'{"actor": "admin"}',
        content_type="application/json",
        id=id or uuid.uuid4(),
        stream_name=stream,
        stream_position=version,
        commit_position=position,
        prepare_position=position,
        recorded_at=recorded_at,
    )


def new_event(metadata: bytes = b"{}") -> NewEvent:
    return NewEvent(id=uuid.uuid4(), type="InvoiceIssued", data=b"{}", metadata=metadata)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --- connection strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("kurrentdb://localhost:2113?tls=false", "kurrentdb://localhost:2113?tls=false"),
        ("esdb://localhost:2113?tls=false", "kurrentdb://localhost:2113?tls=false"),
        ("ESDB://localhost:2113?Tls=false", "kurrentdb://localhost:2113?Tls=false"),
        (
            "esdb+discover://cluster.internal:2113?tls=false",
            "kurrentdb+discover://cluster.internal:2113?tls=false",
        ),
        (
            "kurrentdb+discover://cluster.internal:2113",
            "kurrentdb+discover://cluster.internal:2113",
        ),
        # Several gossip seeds are spelt without +discover by the client.
        (
            "kurrentdb+discover://node1:2113,node2:2113,node3:2113?tls=false",
            "kurrentdb://node1:2113,node2:2113,node3:2113?tls=false",
        ),
        (
            "esdb+discover://admin:changeit@node1:2113,node2:2113",
            "kurrentdb://admin:changeit@node1:2113,node2:2113",
        ),
    ],
)
def test_uri_is_normalised_to_the_kurrentdb_scheme(given: str, expected: str) -> None:
    joined = "&" if "?" in expected else "?"
    assert normalise_uri(given) == expected + joined + DEFAULT_QUERY


# What every URI gains unless it sets them: keep-alive in ms, the deadline of appends in s.
DEFAULT_QUERY = "KeepAliveInterval=10000&KeepAliveTimeout=10000&DefaultDeadline=10"


def test_keep_alive_and_deadline_are_added_and_understood_by_the_client() -> None:
    spec = ConnectionSpec(normalise_uri("esdb://localhost:2113?tls=false"))
    assert spec.options.keep_alive_interval == 10000
    assert spec.options.keep_alive_timeout == 10000
    assert spec.options.default_deadline == 10
    assert spec.options.tls is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "kurrentdb://h:2113?tls=false&keepaliveinterval=5000&DEFAULTDEADLINE=30",
            "kurrentdb://h:2113?tls=false&keepaliveinterval=5000&DEFAULTDEADLINE=30"
            "&KeepAliveTimeout=10000",
        ),
        (
            "kurrentdb://h:2113?KeepAliveInterval=1&KeepAliveTimeout=2&DefaultDeadline=3",
            "kurrentdb://h:2113?KeepAliveInterval=1&KeepAliveTimeout=2&DefaultDeadline=3",
        ),
        ("kurrentdb://h:2113?", "kurrentdb://h:2113?" + DEFAULT_QUERY),
        ("kurrentdb://h:2113?tls=false&", "kurrentdb://h:2113?tls=false&" + DEFAULT_QUERY),
    ],
)
def test_settings_the_uri_gives_are_kept_whatever_their_case(given: str, expected: str) -> None:
    assert normalise_uri(given) == expected
    spec = ConnectionSpec(expected.replace("://", "://u:p@"))  # TLS, the default, needs users
    assert spec.options.keep_alive_timeout is not None
    assert spec.options.default_deadline is not None


def test_normalised_cluster_uri_is_accepted_by_the_client_with_every_seed() -> None:
    uri = normalise_uri("kurrentdb+discover://node1:2113,node2:2113,node3:2113?tls=false")
    spec = ConnectionSpec(uri)
    assert list(spec.targets) == ["node1:2113", "node2:2113", "node3:2113"]
    assert spec.options.tls is False


@pytest.mark.parametrize(
    "uri", ["http://localhost:2113", "localhost:2113", "sqlite:///data/store.db", ""]
)
def test_other_uris_are_refused(uri: str) -> None:
    with pytest.raises(ValueError, match="kurrentdb://"):
        normalise_uri(uri)


# --- expected versions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "client"),
    [
        (NO_STREAM, ClientStreamState.NO_STREAM),
        (ANY, ClientStreamState.ANY),
        (EXISTS, ClientStreamState.EXISTS),
        (0, 0),
        (41, 41),
    ],
)
def test_expected_version_maps_onto_the_client(
    port: ExpectedVersion, client: int | ClientStreamState
) -> None:
    assert to_client_expected(port) == client


@pytest.mark.parametrize("bad", [-1, -2, True])
def test_expected_version_below_zero_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="expected version"):
        to_client_expected(bad)


@pytest.mark.parametrize(
    ("client", "port"),
    [(ClientStreamState.NO_STREAM, None), (-1, None), (None, None), (0, 0), (7, 7)],
)
def test_actual_version_from_the_client(client: object, port: int | None) -> None:
    assert from_client_version(client) == port


@pytest.mark.parametrize(
    ("expected", "count", "version"),
    [(NO_STREAM, 1, 0), (NO_STREAM, 3, 2), (0, 1, 1), (4, 2, 6), (ANY, 2, None), (EXISTS, 1, None)],
)
def test_version_after_an_append(
    expected: ExpectedVersion, count: int, version: int | None
) -> None:
    assert version_after(expected, count) == version


# --- filters -----------------------------------------------------------------------------------


def server_regex(include: tuple[str, ...], exclude: tuple[str, ...]) -> re.Pattern[str]:
    """The regex the client sends for these arguments (built by the client itself)."""
    text = (
        construct_filter_include_regex(include)
        if include
        else construct_filter_exclude_regex(exclude)
    )
    return re.compile(text)


def test_no_filter_excludes_system_streams_server_side() -> None:
    plan = plan_filter(NO_FILTER)
    assert plan.by_stream_name
    assert plan.include == ()
    regex = server_regex(plan.include, plan.exclude)
    assert regex.match("invoice-2026-000123")
    assert not regex.match("$stats-127.0.0.1:2113")
    assert not regex.match("$$invoice-1")


def test_categories_filter_stream_names_by_prefix() -> None:
    plan = plan_filter(EventFilter(categories=("invoice", "payment")))
    assert plan.by_stream_name
    regex = server_regex(plan.include, plan.exclude)
    assert regex.match("invoice-2026-000123")
    assert regex.match("payment-42")
    assert not regex.match("invoiced-1")  # a different category
    assert not regex.match("xinvoice-1")
    assert not regex.match("$ce-invoice")
    assert not regex.match("invoice")


def test_types_filter_event_types_exactly() -> None:
    plan = plan_filter(EventFilter(types=("InvoiceIssued", "PaymentReceived")))
    assert not plan.by_stream_name
    regex = server_regex(plan.include, plan.exclude)
    assert regex.match("InvoiceIssued")
    assert regex.match("PaymentReceived")
    assert not regex.match("InvoiceIssuedV2")
    assert not regex.match("DraftInvoiceIssued")


def test_filter_is_one_pattern_because_the_client_anchors_only_the_ends() -> None:
    # The client joins several includes as ^a|b$, which leaves `a` open at its end.
    assert construct_filter_include_regex(["a", "b"]) == "^a|b$"
    plan = plan_filter(EventFilter(types=("A", "B", "C")))
    assert len(plan.include) == 1
    assert not server_regex(plan.include, plan.exclude).match("Apple")


def test_both_axes_filter_types_on_the_server_and_categories_here() -> None:
    filter = EventFilter(categories=("invoice",), types=("InvoiceIssued",))
    plan = plan_filter(filter)
    assert not plan.by_stream_name
    assert server_regex(plan.include, plan.exclude).match("InvoiceIssued")
    assert is_visible(recorded("invoice-1", "InvoiceIssued"), filter)
    assert not is_visible(recorded("quote-1", "InvoiceIssued"), filter)


def test_names_are_escaped_in_the_server_regex() -> None:
    plan = plan_filter(EventFilter(types=("a.b",)))
    regex = server_regex(plan.include, plan.exclude)
    assert regex.match("a.b")
    assert not regex.match("axb")


@pytest.mark.parametrize(
    ("stream", "type"),
    [
        ("$stats-127.0.0.1:2113", "$statsCollected"),
        ("$ce-invoice", "$>"),
        ("invoice-1", "$streamDeleted"),
        ("$persistentSubscriptionConfig", "PersistentConfig1"),
    ],
)
def test_system_events_are_never_visible(stream: str, type: str) -> None:
    assert not is_visible(recorded(stream, type), NO_FILTER)
    assert not is_visible(recorded(stream, type), EventFilter(types=(type,)))


def test_visible_events_follow_the_port_filter() -> None:
    event = recorded("quote-7", "QuoteAccepted")
    assert is_visible(event, NO_FILTER)
    assert is_visible(event, EventFilter(categories=("quote",)))
    assert is_visible(event, EventFilter(types=("QuoteAccepted",)))
    assert not is_visible(event, EventFilter(categories=("invoice",)))
    assert not is_visible(event, EventFilter(types=("QuoteSent",)))


def test_stream_outside_the_naming_rule_is_seen_only_unfiltered() -> None:
    event = recorded("legacy", "Imported")
    assert is_visible(event, NO_FILTER)
    assert not is_visible(event, EventFilter(categories=("legacy",)))


# --- positions ---------------------------------------------------------------------------------


def test_start_reads_from_the_beginning() -> None:
    assert read_start(START) is None


def test_reading_after_a_position_starts_at_it_and_skips_it() -> None:
    assert read_start(1200) == 1200
    assert not is_after(recorded(position=1200), 1200)  # the client includes it: skipped
    assert is_after(recorded(position=1350), 1200)
    assert not is_after(recorded(position=900), 1200)


def test_everything_is_after_start() -> None:
    assert is_after(recorded(position=0), START)
    assert is_after(recorded(position=5), START)


def test_negative_position_is_refused() -> None:
    with pytest.raises(ValueError, match="position"):
        read_start(-1)


# --- events ------------------------------------------------------------------------------------


def test_recorded_event_is_converted_field_by_field() -> None:
    event_id = uuid.uuid4()
    event = to_port_event(recorded(id=event_id, version=3, position=4567))
    assert event.id == event_id
    assert event.stream == "invoice-2026-000123"
    assert event.category == "invoice"
    assert event.version == 3
    assert event.position == 4567
    assert event.type == "InvoiceIssued"
    assert event.data == b'{"amount": 100}'
    assert event.metadata == b'{"actor": "admin"}'
    assert event.recorded_at == RECORDED_AT


def test_metadata_of_a_multi_stream_append_reads_back_without_the_servers_keys() -> None:
    # How the server renders the properties of an `append_many` event (issue 15, item 3).
    stored = b'{"actor": "admin", "$schema.name": "InvoiceIssued", "$schema.format": "Json"}'
    event = dataclasses.replace(recorded(), metadata=stored)
    assert json.loads(to_port_event(event).metadata) == {"actor": "admin"}
    assert port_metadata(b'{"$schema.format": "Json"}') == b"{}"


@pytest.mark.parametrize("raw", [b'{"actor": "admin"}', b"", b'"$text"', b'["$a"]', b'\xff"$'])
def test_other_metadata_keeps_its_bytes(raw: bytes) -> None:
    assert port_metadata(raw) == raw


def test_missing_recorded_at_becomes_now_in_utc() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert to_port_event(recorded(recorded_at=None), now=now).recorded_at == now
    stamped = to_port_event(recorded(recorded_at=None)).recorded_at
    assert stamped.tzinfo is not None
    assert abs(datetime.now(UTC) - stamped) < timedelta(minutes=1)


def test_new_event_keeps_its_id_for_idempotent_retries() -> None:
    event = NewEvent(id=uuid.uuid4(), type="QuoteSent", data=b'{"q": 1}', metadata=b'{"a": "b"}')
    client = to_client_event(event)
    assert isinstance(client, ClientNewEvent)
    assert (client.id, client.type, client.data, client.metadata) == (
        event.id,
        event.type,
        event.data,
        event.metadata,
    )
    assert client.content_type == "application/json"


def test_retry_whose_ids_are_all_recorded_answers_the_last_one() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    stream = [
        recorded(id=uuid.uuid4(), version=0, position=100),
        recorded(id=first, version=1, position=200),
        recorded(id=second, version=2, position=300),
        recorded(id=uuid.uuid4(), version=3, position=400),  # appended by someone else since
    ]
    found = recorded_retry(stream, [first, second])
    assert found is not None
    assert (found.stream_position, found.commit_position) == (2, 300)


def test_retry_with_an_id_not_recorded_is_a_real_conflict() -> None:
    stored = uuid.uuid4()
    stream = [recorded(id=stored, version=0)]
    assert recorded_retry(stream, [stored, uuid.uuid4()]) is None
    assert recorded_retry(stream, []) is None
    assert recorded_retry([], [stored]) is None


# --- errors ------------------------------------------------------------------------------------


def test_wrong_current_version_becomes_wrong_expected_version() -> None:
    error = WrongCurrentVersionError(
        "Stream position of last event is 3 not 1",
        stream_name="invoice-1",
        actual_version=3,
        expected_version=1,
    )
    translated = translate_error(error, stream="invoice-1", expected=1)
    assert isinstance(translated, WrongExpectedVersion)
    assert (translated.stream, translated.expected, translated.actual) == ("invoice-1", 1, 3)


def test_conflict_on_a_missing_stream_has_no_actual_version() -> None:
    # What the client raises for EXISTS on a stream that is not there (-1 = no stream).
    error = WrongCurrentVersionError(
        "Stream 'quote-9' does not exist",
        stream_name="quote-9",
        actual_version=-1,
        expected_version=-4,
    )
    translated = translate_error(error)
    assert isinstance(translated, WrongExpectedVersion)
    assert (translated.stream, translated.expected, translated.actual) == ("quote-9", EXISTS, None)


def test_conflict_keeps_the_expected_version_the_caller_gave() -> None:
    error = WrongCurrentVersionError(
        "x", actual_version=ClientStreamState.NO_STREAM, expected_version=0
    )
    translated = translate_error(error, stream="member-3", expected=NO_STREAM)
    assert isinstance(translated, WrongExpectedVersion)
    assert (translated.stream, translated.expected, translated.actual) == (
        "member-3",
        NO_STREAM,
        None,
    )


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailableError("failed to connect to all addresses"),
        DiscoveryFailedError("Failed to obtain cluster info"),
        LeaderNotFoundError("Expected one leader, discovered 0"),
        GrpcDeadlineExceededError("Deadline Exceeded"),
        NodeIsNotLeaderError("Leader info available", host="node2", port=2113),
    ],
)
def test_unreachable_store_errors_become_store_unavailable(error: Exception) -> None:
    assert isinstance(translate_error(error), StoreUnavailable)


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError("Stream 'x' not found"),
        StreamIsDeletedError("Stream 'invoice-1' is deleted"),
        ProgrammingError("Invalid metadata"),
        GrpcError("something else"),
        RuntimeError("not from the client"),
    ],
)
def test_other_errors_are_store_errors_but_not_retryable(error: Exception) -> None:
    translated = translate_error(error, stream="invoice-1")
    assert isinstance(translated, EventStoreError)
    assert not isinstance(translated, StoreUnavailable | WrongExpectedVersion)


def test_port_errors_pass_through() -> None:
    error = StoreUnavailable("already translated")
    assert translate_error(error) is error


class _UnimplementedCall(Exception):
    def code(self) -> str:
        return "StatusCode.UNIMPLEMENTED"


def test_server_without_multi_append_is_recognised() -> None:
    assert is_multi_append_unsupported(GrpcError("<_InactiveRpcError status = UNIMPLEMENTED>"))
    assert is_multi_append_unsupported(GrpcError("Method not found!"))
    wrapped = GrpcError("<_MultiThreadedRendezvous>")
    wrapped.__cause__ = _UnimplementedCall()
    assert is_multi_append_unsupported(wrapped)
    assert not is_multi_append_unsupported(GrpcError("UNAVAILABLE"))
    assert not is_multi_append_unsupported(WrongCurrentVersionError("UNIMPLEMENTED"))


@pytest.mark.parametrize("metadata", [b"", b"{}", b'{"actor": "admin", "correlation_id": "c-1"}'])
def test_flat_string_metadata_fits_multi_append(metadata: bytes) -> None:
    assert multi_append_metadata_error(new_event(metadata)) is None


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        (b'{"actor": "admin", "schema_version": 1}', "schema_version"),
        (b'{"nested": {"a": "b"}}', "nested"),
        (b'"text"', "not a JSON object"),
        (b'{"$correlationId": "c-1", "actor": "a"}', "$correlationId"),
        (b"\xff", "not JSON"),
    ],
)
def test_other_metadata_does_not_fit_multi_append(metadata: bytes, reason: str) -> None:
    found = multi_append_metadata_error(new_event(metadata))
    assert found is not None
    assert reason in found


# --- the engine, without a server ---------------------------------------------------------------


@pytest.fixture
def unreachable() -> KurrentDBEventStore:
    # The client connects lazily to a single node, so this constructs without a server.
    return KurrentDBEventStore(f"esdb://127.0.0.1:{closed_port()}?tls=false")


def test_engine_implements_the_port(unreachable: KurrentDBEventStore) -> None:
    store: EventStore = unreachable
    assert unreachable.uri.startswith("kurrentdb://127.0.0.1:")
    store.close()


def test_unreachable_store_raises_store_unavailable(unreachable: KurrentDBEventStore) -> None:
    with pytest.raises(StoreUnavailable):
        unreachable.read_stream("invoice-1")
    with pytest.raises(StoreUnavailable):
        unreachable.read_all()
    with pytest.raises(StoreUnavailable):
        unreachable.head()
    with pytest.raises(StoreUnavailable):
        unreachable.append("invoice-1", [new_event()], NO_STREAM)
    unreachable.close()


def test_cluster_without_any_answering_seed_is_unavailable() -> None:
    seeds = f"127.0.0.1:{closed_port()},127.0.0.1:{closed_port()}"
    with pytest.raises(StoreUnavailable, match="cluster info"):
        KurrentDBEventStore(f"kurrentdb+discover://{seeds}?tls=false&MaxDiscoverAttempts=1")


def test_invalid_requests_fail_before_reaching_the_server(
    unreachable: KurrentDBEventStore,
) -> None:
    with pytest.raises(InvalidStreamName):
        unreachable.append("invoice", [new_event()], ANY)
    with pytest.raises(EventStoreError, match="carries no event"):
        unreachable.append("invoice-1", [], ANY)
    with pytest.raises(EventStoreError, match="carries no request"):
        unreachable.append_many([])
    with pytest.raises(EventStoreError, match="one request per stream"):
        unreachable.append_many(
            [
                AppendRequest("invoice-1", [new_event()], NO_STREAM),
                AppendRequest("invoice-1", [new_event()], 0),
            ]
        )
    with pytest.raises(EventStoreError, match="schema_version"):
        unreachable.append_many(
            [
                AppendRequest("invoice-1", [new_event()], NO_STREAM),
                AppendRequest("counter-2026", [new_event(b'{"schema_version": 1}')], ANY),
            ]
        )
    assert unreachable.read_all(limit=0) == []
    unreachable.close()
