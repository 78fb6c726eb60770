"""The KurrentDB engine's translation layer: small pure functions between the port and
`kurrentdbclient`.

Everything the engine (`shared.eventstore.kurrentdb`) decides lives here: connection strings,
expected versions, filters and positions, event conversion, retry recognition and errors. None
of it talks to a server, so it is unit-tested without one.

Semantics worth knowing:

- Positions are KurrentDB commit positions. `after=START` (0) reads from the beginning; any
  other `after` is the position of an event already seen, and since the client's
  `read_all(commit_position=p)` includes the event at `p`, that event is skipped (`is_after`).
- System streams and system event types (`$…`) never reach the port (`plan_filter`,
  `is_visible`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from kurrentdbclient import NewEvent as ClientNewEvent
from kurrentdbclient import RecordedEvent as ClientRecordedEvent
from kurrentdbclient import StreamState as ClientStreamState
from kurrentdbclient.exceptions import (
    AccessDeniedError,
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
    "URI_DEFAULTS",
    "ServerFilter",
    "from_client_version",
    "is_after",
    "is_multi_append_unsupported",
    "is_visible",
    "multi_append_metadata_error",
    "normalise_uri",
    "plan_filter",
    "port_metadata",
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
    return _with_defaults(f"{target}://{rest}")


# The client sets none of these by default, so a dead peer would hang a call forever.
# KeepAlive* are milliseconds (gRPC keep-alive pings); DefaultDeadline is seconds (the gRPC
# timeout of appends and other unary calls; reads and catch-up subscriptions take none).
URI_DEFAULTS = {"KeepAliveInterval": "10000", "KeepAliveTimeout": "10000", "DefaultDeadline": "10"}


def _with_defaults(uri: str) -> str:
    """Add each of `URI_DEFAULTS` the URI does not set (the client reads names in any case)."""
    base, _, query = uri.partition("?")
    given = {part.partition("=")[0].strip().upper() for part in query.split("&") if part}
    missing = [f"{k}={v}" for k, v in URI_DEFAULTS.items() if k.upper() not in given]
    if not missing:
        return uri
    kept = query.rstrip("&")
    return f"{base}?{'&'.join([kept, *missing] if kept else missing)}"


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
        metadata=port_metadata(event.metadata),
        recorded_at=recorded_at,
    )


def port_metadata(raw: bytes) -> bytes:
    """Recorded metadata without the keys the server adds: an event of a multi-stream append
    reads back as the JSON of its properties plus `$schema.name` and `$schema.format`.

    `$`-prefixed keys are KurrentDB's, so all of them go (`append_many` refuses them on the
    way in); metadata without one keeps its bytes, and the costly parse is skipped.
    """
    if b'"$' not in raw:
        return raw
    try:
        document = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(document, dict):
        return raw
    return json.dumps({k: v for k, v in document.items() if not k.startswith("$")}).encode()


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
    if bad:
        return f"values of {', '.join(bad)} are not strings"
    # They would not read back: `port_metadata` drops the server's own `$` keys.
    reserved = sorted(key for key in document if key.startswith("$"))
    return f"keys {', '.join(reserved)} start with $ (KurrentDB's own)" if reserved else None
