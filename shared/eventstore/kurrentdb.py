"""The KurrentDB engine of the store port: a thin translation onto `kurrentdbclient`.

Everything that decides something (URIs, expected versions, filters, positions, errors, event
conversion) is a small pure function below, so it is unit-tested without a server; the class
only calls the client and applies them.

Semantics worth knowing:

- Positions are KurrentDB commit positions. `after=START` (0) reads from the beginning; any
  other `after` is the position of an event already seen, and since the client's
  `read_all(commit_position=p)` includes the event at `p`, that event is skipped here.
- Idempotent appends: KurrentDB itself recognises a retried append whose event ids are the ones
  already recorded after the expected version, answers success and the original commit
  position, and records nothing (with ANY or EXISTS too, as long as the server still holds
  those ids in its cache of recent writes). When a retry comes back as a version conflict
  (the stream moved on), the engine reads the stream: if every id of the request is already
  recorded, the append answers where the last of them landed; otherwise the conflict stands.
  Not covered: re-appending stored ids with an expected version equal to the stream's current
  end is a fresh write to KurrentDB, which records them again (the SQLite engine would not).
- `append_many` needs multi-stream append (KurrentDB 25.1+). Its records travel as v2
  properties, so each event's metadata must be empty or a flat JSON object of string values,
  and the metadata read back is the server's JSON rendering of them (same keys and values,
  not the same bytes). On an older server it fails: it never degrades to separate appends.
- System streams and system event types (`$…`) never reach the port.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from kurrentdbclient import KurrentDBClient
from kurrentdbclient import NewEvent as ClientNewEvent
from kurrentdbclient import NewEvents as ClientNewEvents
from kurrentdbclient import RecordedEvent as ClientRecordedEvent
from kurrentdbclient import StreamState as ClientStreamState
from kurrentdbclient.exceptions import (
    AccessDeniedError,
    CancelledByClientError,
    CancelledError,
    ConsumerTooSlowError,
    DeadlineExceededError,
    DiscoveryFailedError,
    GrpcError,
    KurrentDBClientError,
    NodeIsNotLeaderError,
    NotFoundError,
    ProgrammingError,
    ServiceUnavailableError,
    StreamIsDeletedError,
    StreamTombstonedError,
    UnauthenticatedError,
    WrongCurrentVersionError,
)

from shared.eventstore.port import (
    NO_FILTER,
    START,
    AppendRequest,
    AppendResult,
    EventFilter,
    EventStoreError,
    ExpectedVersion,
    InvalidStreamName,
    NewEvent,
    Position,
    RecordedEvent,
    StoreUnavailable,
    StreamState,
    WrongExpectedVersion,
    category_of,
)

__all__ = [
    "KurrentDBEventStore",
    "KurrentDBSubscription",
    "ServerFilter",
    "from_client_version",
    "is_after",
    "is_multi_append_unsupported",
    "is_visible",
    "multi_append_metadata_error",
    "normalise_uri",
    "plan_filter",
    "read_start",
    "recorded_retry",
    "to_client_event",
    "to_client_expected",
    "to_port_event",
    "translate_error",
    "version_after",
]

# ---------------------------------------------------------------------------------------------
# Connection strings
# ---------------------------------------------------------------------------------------------

_SCHEMES = {
    "kurrentdb": "kurrentdb",
    "kurrentdb+discover": "kurrentdb+discover",
    "esdb": "kurrentdb",
    "esdb+discover": "kurrentdb+discover",
}


def normalise_uri(uri: str) -> str:
    """Accept `kurrentdb://` and the older `esdb://` spellings, answer the `kurrentdb` one.

    The client takes several gossip seeds only without `+discover` (`+discover` means one DNS
    name that resolves to the cluster), so `kurrentdb+discover://a:2113,b:2113` becomes
    `kurrentdb://a:2113,b:2113`: the same cluster discovery over the listed seeds.
    """
    scheme, sep, rest = uri.strip().partition("://")
    target = _SCHEMES.get(scheme.lower()) if sep else None
    if target is None:
        raise ValueError(
            f"event store URI {uri!r} is not kurrentdb://, kurrentdb+discover://, esdb:// "
            "or esdb+discover://"
        )
    hosts = rest.partition("?")[0].partition("/")[0].rpartition("@")[2]
    if target == "kurrentdb+discover" and "," in hosts:
        target = "kurrentdb"
    return f"{target}://{rest}"


# ---------------------------------------------------------------------------------------------
# Versions
# ---------------------------------------------------------------------------------------------

_TO_CLIENT_STATE = {
    StreamState.NO_STREAM: ClientStreamState.NO_STREAM,
    StreamState.ANY: ClientStreamState.ANY,
    StreamState.EXISTS: ClientStreamState.EXISTS,
}
_FROM_CLIENT_STATE = {client: port for port, client in _TO_CLIENT_STATE.items()}


def to_client_expected(expected: ExpectedVersion) -> int | ClientStreamState:
    """Port expected version → the client's `current_version` (same meaning, other enum)."""
    if isinstance(expected, StreamState):
        return _TO_CLIENT_STATE[expected]
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise ValueError(f"expected version must be >= 0 or a StreamState, not {expected!r}")
    return expected


def from_client_version(version: object) -> int | None:
    """The client's actual version → the port's: an int, or None when there is no stream."""
    if isinstance(version, int) and not isinstance(version, bool) and version >= 0:
        return version
    return None  # NO_STREAM, -1, or unknown: the port only says "no stream"


def _from_client_expected(version: object) -> ExpectedVersion:
    if isinstance(version, ClientStreamState):
        return _FROM_CLIENT_STATE[version]
    if isinstance(version, int) and version >= 0:
        return version
    return StreamState.ANY  # unknown: never happens with the requests this engine sends


def version_after(expected: ExpectedVersion, count: int) -> int | None:
    """A stream's version after `count` events landed on `expected`; None when only the server
    knows (ANY, EXISTS)."""
    if expected is StreamState.NO_STREAM:
        return count - 1
    if isinstance(expected, int):
        return expected + count
    return None


# ---------------------------------------------------------------------------------------------
# Filters and positions
# ---------------------------------------------------------------------------------------------

_SYSTEM = r"\$.*"  # system streams and system event types start with `$`


@dataclass(frozen=True, slots=True)
class ServerFilter:
    """What the server filters (arguments of `read_all` / `subscribe_to_all`).

    The server filters on stream names or on event types, not both, so a filter naming both
    is done server-side on types (the narrower axis) and finished client-side by `is_visible`.
    Each include is ONE pattern: the client anchors `^…$` around the `|`-joined list, which
    would anchor only the first and last alternatives.
    """

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    by_stream_name: bool


def _alternatives(names: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(name) for name in names) + ")"


def plan_filter(filter: EventFilter) -> ServerFilter:
    if filter.types:
        return ServerFilter((_alternatives(filter.types),), (), by_stream_name=False)
    if filter.categories:
        return ServerFilter((_alternatives(filter.categories) + "-.*",), (), by_stream_name=True)
    return ServerFilter((), (_SYSTEM,), by_stream_name=True)


def _category_or_none(stream: str) -> str | None:
    try:
        return category_of(stream)
    except InvalidStreamName:
        return None


def is_visible(event: ClientRecordedEvent, filter: EventFilter) -> bool:
    """Client-side half of filtering: never system events, and the whole port filter."""
    if event.stream_name.startswith("$") or event.type.startswith("$"):
        return False
    if filter == NO_FILTER:
        return True
    category = _category_or_none(event.stream_name)
    return category is not None and filter.matches(category, event.type)


def read_start(after: Position) -> int | None:
    """`after` → the client's `commit_position`: None reads from the very beginning."""
    if after < START:
        raise ValueError(f"position must be >= {START}, not {after}")
    return None if after == START else after


def is_after(event: ClientRecordedEvent, after: Position) -> bool:
    # The client starts AT `after` (inclusive); the port reads strictly after it.
    return after == START or event.commit_position > after


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


def to_client_event(event: NewEvent) -> ClientNewEvent:
    return ClientNewEvent(
        id=event.id,
        type=event.type,
        data=event.data,
        metadata=event.metadata,
        content_type="application/json",
    )


def to_port_event(event: ClientRecordedEvent, now: datetime | None = None) -> RecordedEvent:
    recorded_at = event.recorded_at or now or datetime.now(UTC)
    return RecordedEvent(
        id=event.id,
        stream=event.stream_name,
        version=event.stream_position,
        position=event.commit_position,
        type=event.type,
        data=event.data,
        metadata=event.metadata,
        recorded_at=recorded_at,
    )


def recorded_retry(
    recorded: Iterable[ClientRecordedEvent], ids: Sequence[UUID]
) -> ClientRecordedEvent | None:
    """When every id of a retried append is already in the stream, the recorded event of the
    last of them (where the original append ended); otherwise None (a genuine conflict)."""
    wanted = set(ids)
    found: dict[UUID, ClientRecordedEvent] = {}
    for event in recorded:
        if event.id in wanted:
            found[event.id] = event
    if not ids or len(found) < len(wanted):
        return None
    return found[ids[-1]]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

_UNAVAILABLE: tuple[type[Exception], ...] = (
    ServiceUnavailableError,  # also SSLError; raised after the client's own reconnect attempt
    DiscoveryFailedError,  # no gossip seed answered, or no leader elected yet
    DeadlineExceededError,  # gRPC deadline, append timeout on the server
    NodeIsNotLeaderError,  # an election is under way
    ConsumerTooSlowError,  # the server dropped a subscription: resubscribe later
    CancelledError,  # the server ended a call (shutdown, leader change)
)


def is_multi_append_unsupported(exc: BaseException) -> bool:
    """The server has no v2 multi-append service (KurrentDB before 25.1)."""
    if not isinstance(exc, GrpcError):
        return False
    # The client wraps the gRPC error (code UNIMPLEMENTED) in a bare GrpcError.
    code = getattr(exc.__cause__, "code", None)
    text = f"{exc} {code() if callable(code) else ''}"
    return "UNIMPLEMENTED" in text or "Method not found" in text


def translate_error(
    exc: Exception,
    *,
    stream: str | None = None,
    expected: ExpectedVersion | None = None,
) -> EventStoreError:
    """A client error → the port error to raise (`raise translate_error(e) from e`)."""
    if isinstance(exc, EventStoreError):
        return exc
    if isinstance(exc, WrongCurrentVersionError):
        return WrongExpectedVersion(
            exc.stream_name or stream or "?",
            expected if expected is not None else _from_client_expected(exc.expected_version),
            from_client_version(exc.actual_version),
        )
    if isinstance(exc, _UNAVAILABLE):
        return StoreUnavailable(f"KurrentDB unavailable: {type(exc).__name__}: {exc}")
    if isinstance(exc, StreamIsDeletedError | StreamTombstonedError):
        return EventStoreError(f"stream {stream!r} was deleted in KurrentDB: {exc}")
    if isinstance(exc, AccessDeniedError | UnauthenticatedError):
        return EventStoreError(f"KurrentDB refused the credentials of the connection: {exc}")
    if isinstance(exc, NotFoundError):
        return EventStoreError(f"not found in KurrentDB: {exc}")
    if isinstance(exc, ProgrammingError):
        return EventStoreError(f"KurrentDB client refused the request: {exc}")
    if isinstance(exc, KurrentDBClientError):
        return EventStoreError(f"KurrentDB error: {type(exc).__name__}: {exc}")
    return EventStoreError(f"unexpected error from the KurrentDB client: {exc!r}")


def multi_append_metadata_error(event: NewEvent) -> str | None:
    """Why multi-append cannot carry this metadata (it must be a flat JSON object of strings)."""
    if not event.metadata:
        return None
    try:
        document = json.loads(event.metadata)
    except ValueError:
        return "it is not JSON"
    if not isinstance(document, dict):
        return "it is not a JSON object"
    bad = sorted(key for key, value in document.items() if not isinstance(value, str))
    return f"values of {', '.join(bad)} are not strings" if bad else None


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------


class KurrentDBSubscription:
    """Catch-up then live over `subscribe_to_all`; `stop()` from any thread ends the iteration.

    A dropped connection ends the iteration with StoreUnavailable: the caller resubscribes
    from its last checkpoint (the engine does not hide failovers).
    """

    def __init__(self, client: KurrentDBClient, after: Position, filter: EventFilter) -> None:
        self._after = after
        self._filter = filter
        self._stopped = threading.Event()
        plan = plan_filter(filter)
        try:
            self._inner = client.subscribe_to_all(
                commit_position=read_start(after),
                filter_include=plan.include,
                filter_exclude=plan.exclude,
                filter_by_stream_name=plan.by_stream_name,
            )
        except KurrentDBClientError as e:
            raise translate_error(e) from e

    def __iter__(self) -> Iterator[RecordedEvent]:
        while not self._stopped.is_set():
            try:
                event = next(self._inner)
            except StopIteration:
                return
            except CancelledByClientError:
                if self._stopped.is_set():
                    return
                raise StoreUnavailable("KurrentDB subscription was cancelled") from None
            except KurrentDBClientError as e:
                if self._stopped.is_set():
                    return
                raise translate_error(e) from e
            if is_after(event, self._after) and is_visible(event, self._filter):
                yield to_port_event(event)

    def stop(self) -> None:
        self._stopped.set()
        self._inner.stop()

    def __enter__(self) -> KurrentDBSubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class KurrentDBEventStore:
    """The `EventStore` port on a KurrentDB node or cluster (see the module docstring)."""

    def __init__(self, uri: str) -> None:
        self.uri = normalise_uri(uri)
        # Weak: a subscription the caller dropped needs no stopping at close().
        self._subscriptions: weakref.WeakSet[KurrentDBSubscription] = weakref.WeakSet()
        self._lock = threading.Lock()
        try:
            # With several seeds, the constructor gossips to find the leader.
            self._client = KurrentDBClient(self.uri)
        except KurrentDBClientError as e:
            raise translate_error(e) from e

    @property
    def client(self) -> KurrentDBClient:
        """The underlying client, for operations the port does not cover (ops, readiness)."""
        return self._client

    # -- writing -----------------------------------------------------------------------------

    def append(
        self, stream: str, events: Sequence[NewEvent], expected: ExpectedVersion
    ) -> AppendResult:
        category_of(stream)
        if not events:
            raise EventStoreError(f"append to {stream!r} carries no event")
        try:
            position = self._client.append_to_stream(
                stream,
                events=[to_client_event(e) for e in events],
                current_version=to_client_expected(expected),
            )
        except WrongCurrentVersionError as e:
            return self._replayed([AppendRequest(stream, events, expected)], e)
        except KurrentDBClientError as e:
            raise translate_error(e, stream=stream, expected=expected) from e
        return AppendResult(position, {stream: self._version(stream, events, expected)})

    def append_many(self, requests: Sequence[AppendRequest]) -> AppendResult:
        if not requests:
            raise EventStoreError("append_many carries no request")
        streams = [r.stream for r in requests]
        if len(set(streams)) != len(streams):
            # KurrentDB refuses two parts for one stream in a multi-append session.
            raise EventStoreError("append_many to KurrentDB takes one request per stream")
        for request in requests:
            category_of(request.stream)
            if not request.events:
                raise EventStoreError(f"append to {request.stream!r} carries no event")
            for event in request.events:
                reason = multi_append_metadata_error(event)
                if reason is not None:
                    raise EventStoreError(
                        f"KurrentDB multi-stream append cannot carry the metadata of event "
                        f"{event.id} ({event.type}): {reason}; it must be a flat JSON object "
                        "of string values"
                    )
        batch = [
            ClientNewEvents(
                stream_name=r.stream,
                events=[to_client_event(e) for e in r.events],
                current_version=to_client_expected(r.expected),
            )
            for r in requests
        ]
        try:
            position = self._client.multi_append_to_stream(batch)
        except WrongCurrentVersionError as e:
            return self._replayed(requests, e)
        except (KurrentDBClientError, ProgrammingError) as e:
            if is_multi_append_unsupported(e):
                raise EventStoreError(
                    "this KurrentDB server has no multi-stream append (needs 25.1 or later); "
                    "refusing to append the streams one by one, which would not be atomic"
                ) from e
            raise translate_error(e) from e
        versions = {r.stream: self._version(r.stream, r.events, r.expected) for r in requests}
        return AppendResult(position, versions)

    def _version(self, stream: str, events: Sequence[NewEvent], expected: ExpectedVersion) -> int:
        known = version_after(expected, len(events))
        if known is not None:
            return known
        # ANY / EXISTS: the client does not return the new version; find our last event.
        found = self._locate(stream, events[-1].id)
        if found is None:
            raise EventStoreError(f"appended event {events[-1].id} not found in {stream!r}")
        return found.stream_position

    def _locate(self, stream: str, event_id: UUID) -> ClientRecordedEvent | None:
        try:
            with self._client.read_stream(stream, backwards=True) as events:
                return next((e for e in events if e.id == event_id), None)
        except NotFoundError:
            return None
        except KurrentDBClientError as e:
            raise translate_error(e, stream=stream) from e

    def _replayed(
        self, requests: Sequence[AppendRequest], conflict: WrongCurrentVersionError
    ) -> AppendResult:
        """A conflict that may be a retry of an append that already landed (module doc)."""
        landed: dict[str, ClientRecordedEvent] = {}
        for request in requests:
            last = recorded_retry(
                self._stream_events(request.stream), [e.id for e in request.events]
            )
            if last is None:
                failed = next(
                    (r for r in requests if r.stream == conflict.stream_name), requests[0]
                )
                raise translate_error(
                    conflict, stream=failed.stream, expected=failed.expected
                ) from conflict
            landed[request.stream] = last
        final = landed[requests[-1].stream]
        return AppendResult(
            final.commit_position,
            {stream: event.stream_position for stream, event in landed.items()},
        )

    def _stream_events(self, stream: str) -> tuple[ClientRecordedEvent, ...]:
        try:
            return self._client.get_stream(stream)
        except NotFoundError:
            return ()
        except KurrentDBClientError as e:
            raise translate_error(e, stream=stream) from e

    # -- reading -----------------------------------------------------------------------------

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        if from_version < 0:
            raise ValueError(f"from_version must be >= 0, not {from_version}")
        try:
            events = self._client.get_stream(stream, stream_position=from_version)
        except NotFoundError:
            return []
        except KurrentDBClientError as e:
            raise translate_error(e, stream=stream) from e
        return [to_port_event(e) for e in events]

    def read_all(
        self, after: Position = START, filter: EventFilter = NO_FILTER, limit: int | None = None
    ) -> list[RecordedEvent]:
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        if limit == 0:
            return []
        plan = plan_filter(filter)
        found: list[RecordedEvent] = []
        try:
            # Lazy: part of the filtering is client-side, so stop once `limit` events are kept
            # rather than asking the server for a count.
            with self._client.read_all(
                commit_position=read_start(after),
                filter_include=plan.include,
                filter_exclude=plan.exclude,
                filter_by_stream_name=plan.by_stream_name,
            ) as events:
                for event in events:
                    if is_after(event, after) and is_visible(event, filter):
                        found.append(to_port_event(event))
                        if limit is not None and len(found) >= limit:
                            break
        except KurrentDBClientError as e:
            raise translate_error(e) from e
        return found

    def subscribe(
        self, after: Position = START, filter: EventFilter = NO_FILTER
    ) -> KurrentDBSubscription:
        subscription = KurrentDBSubscription(self._client, after, filter)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def head(self) -> Position:
        plan = plan_filter(NO_FILTER)
        try:
            # What `read_all` would show last (system events skipped the same way).
            with self._client.read_all(
                backwards=True,
                filter_exclude=plan.exclude,
                filter_by_stream_name=plan.by_stream_name,
            ) as events:
                last = next((e for e in events if is_visible(e, NO_FILTER)), None)
        except KurrentDBClientError as e:
            raise translate_error(e) from e
        return START if last is None else last.commit_position

    def close(self) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
            self._subscriptions.clear()
        for subscription in subscriptions:
            subscription.stop()
        self._client.close()
