"""The KurrentDB engine of the store port: a thin translation onto `kurrentdbclient`.

Everything that decides something (URIs, expected versions, filters, positions, errors, event
conversion) is a small pure function in `shared.eventstore.kurrentdb_translation`, unit-tested
without a server; the classes here only call the client and apply them. Positions and the
hiding of system events are described there.

Semantics worth knowing:

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
  not the same bytes): the server adds `$schema.name` and `$schema.format` to them, which
  the engine drops, as it drops every `$`-prefixed key (so `append_many` refuses such keys).
  Streams are compared without regard to case, as the server does (`Invoice-1` and
  `invoice-1` in one call are refused). A retry the server fails without naming a cause (a
  partly idempotent one) is settled by re-reading the streams. On an older server it fails:
  it never degrades to separate appends.
- Reads are whole: when iterating one hits a follower (a new leader was elected) or a lost
  connection, the engine reconnects (to the leader the error names) and redoes it once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar
from uuid import UUID

from kurrentdbclient import KurrentDBClient
from kurrentdbclient import NewEvents as ClientNewEvents
from kurrentdbclient import RecordedEvent as ClientRecordedEvent
from kurrentdbclient.exceptions import (
    CancelledByClientError,
    KurrentDBClientError,
    NotFoundError,
    ProgrammingError,
    WrongCurrentVersionError,
)

from shared.eventstore.kurrentdb_recovery import (
    duplicate_streams,
    is_read_retryable,
    is_unexplained_failure,
    leader_target,
    replay_outcome,
)
from shared.eventstore.kurrentdb_translation import (
    is_after,
    is_multi_append_unsupported,
    is_visible,
    multi_append_metadata_error,
    normalise_uri,
    plan_filter,
    read_start,
    to_client_event,
    to_client_expected,
    to_port_event,
    translate_error,
    version_after,
)
from shared.eventstore.port import (
    NO_FILTER,
    START,
    AppendRequest,
    AppendResult,
    EventFilter,
    EventStoreError,
    ExpectedVersion,
    NewEvent,
    Position,
    RecordedEvent,
    StoreUnavailable,
    category_of,
)

__all__ = ["KurrentDBEventStore", "KurrentDBSubscription"]

T = TypeVar("T")


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
        twice = duplicate_streams(r.stream for r in requests)
        if twice:
            # The server refuses two parts for one stream (names compared without case).
            raise EventStoreError(f"append_many takes one request per stream: {twice[0]!r}")
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
            if is_unexplained_failure(e):
                return self._replayed(requests, e)
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
        def locate() -> ClientRecordedEvent | None:
            with self._client.read_stream(stream, backwards=True) as events:
                return next((e for e in events if e.id == event_id), None)

        try:
            return self._whole_read(locate)
        except NotFoundError:
            return None
        except KurrentDBClientError as e:
            raise translate_error(e, stream=stream) from e

    def _replayed(self, requests: Sequence[AppendRequest], failure: Exception) -> AppendResult:
        """A conflict, or a failure without a cause, that may be a retry of an append that
        already landed (module doc)."""
        recorded = {r.stream: self._stream_events(r.stream) for r in requests}
        outcome = replay_outcome(requests, recorded)
        if isinstance(outcome, AppendResult):
            return outcome
        if isinstance(failure, WrongCurrentVersionError):
            # The server's own account of the conflict.
            failed = next((r for r in requests if r.stream == failure.stream_name), requests[0])
            raise translate_error(
                failure, stream=failed.stream, expected=failed.expected
            ) from failure
        raise (outcome or translate_error(failure)) from failure

    def _stream_events(self, stream: str) -> tuple[ClientRecordedEvent, ...]:
        try:
            return self._whole_read(lambda: self._client.get_stream(stream))
        except NotFoundError:
            return ()
        except KurrentDBClientError as e:
            raise translate_error(e, stream=stream) from e

    # -- reading -----------------------------------------------------------------------------

    def _whole_read(self, read: Callable[[], T]) -> T:
        """`read()`, redone once after a reconnection when it failed for want of a leader or
        of a connection: the client retries creating a read's iterator, not iterating it. A
        read collects its events before answering, so redoing it duplicates nothing."""
        connection_id = self._client.connection_id
        try:
            return read()
        except KurrentDBClientError as e:
            if not is_read_retryable(e):
                raise
            # connection_id: if another thread reconnected meanwhile, reuse its connection.
            self._client.reconnect(leader_target(e), connection_id=connection_id)
            return read()

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        if from_version < 0:
            raise ValueError(f"from_version must be >= 0, not {from_version}")
        try:
            events = self._whole_read(
                lambda: self._client.get_stream(stream, stream_position=from_version)
            )
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

        def read() -> list[RecordedEvent]:
            found: list[RecordedEvent] = []
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
            return found

        try:
            return self._whole_read(read)
        except KurrentDBClientError as e:
            raise translate_error(e) from e

    def subscribe(
        self, after: Position = START, filter: EventFilter = NO_FILTER
    ) -> KurrentDBSubscription:
        subscription = KurrentDBSubscription(self._client, after, filter)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def head(self) -> Position:
        plan = plan_filter(NO_FILTER)

        def read() -> ClientRecordedEvent | None:
            # What `read_all` would show last (system events skipped the same way).
            with self._client.read_all(
                backwards=True,
                filter_exclude=plan.exclude,
                filter_by_stream_name=plan.by_stream_name,
            ) as events:
                return next((e for e in events if is_visible(e, NO_FILTER)), None)

        try:
            last = self._whole_read(read)
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
