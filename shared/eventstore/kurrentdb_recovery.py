"""How the KurrentDB engine recovers: reads that follow a new leader, multi-stream appends the
server failed without naming a cause, and the checks made before sending one.

Pure functions like those of `shared.eventstore.kurrentdb_translation`, unit-tested without a
server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from kurrentdbclient import RecordedEvent as ClientRecordedEvent
from kurrentdbclient.exceptions import (
    FailedPreconditionError,
    GrpcError,
    InternalError,
    KurrentDBClientError,
    NodeIsNotLeaderError,
    ServiceUnavailableError,
    UnknownError,
)

from shared.eventstore.kurrentdb_translation import recorded_retry
from shared.eventstore.port import (
    AppendRequest,
    AppendResult,
    ExpectedVersion,
    StreamState,
    WrongExpectedVersion,
)

__all__ = [
    "duplicate_streams",
    "is_read_retryable",
    "is_unexplained_failure",
    "leader_target",
    "replay_outcome",
]


def duplicate_streams(streams: Iterable[str]) -> list[str]:
    """Streams named twice in one multi-stream append, compared as the server does (without
    regard to case): `Invoice-1` and `invoice-1` are one stream in an append session."""
    seen: set[str] = set()
    twice: list[str] = []
    for stream in streams:
        key = stream.casefold()
        if key in seen:
            twice.append(stream)
        seen.add(key)
    return twice


# The shapes a multi-stream append's failure takes when the server names no cause (its answer
# to a partly idempotent retry is a failure list left empty).
_GENERIC = (KurrentDBClientError, GrpcError, UnknownError, InternalError, FailedPreconditionError)


def is_unexplained_failure(exc: BaseException) -> bool:
    return type(exc) in _GENERIC


def replay_outcome(
    requests: Sequence[AppendRequest],
    recorded: Mapping[str, Sequence[ClientRecordedEvent]],
) -> AppendResult | WrongExpectedVersion | None:
    """What a failed multi-stream append was, from its streams as re-read (`recorded`).

    Every id already in its stream → the retry of an append that landed: its result. Some
    streams retried and others not, or a stream not in the expected state → the conflict
    (appending afresh would duplicate what landed). Otherwise None: the failure stands.
    """
    landed: dict[str, ClientRecordedEvent] = {}
    for request in requests:
        last = recorded_retry(recorded.get(request.stream, ()), [e.id for e in request.events])
        if last is not None:
            landed[request.stream] = last
    if len(landed) == len(requests):
        final = landed[requests[-1].stream]
        versions = {stream: event.stream_position for stream, event in landed.items()}
        return AppendResult(final.commit_position, versions)
    for request in requests:
        if request.stream in landed:
            continue
        events = recorded.get(request.stream, ())
        actual = events[-1].stream_position if events else None
        if landed or not _meets(request.expected, actual):
            return WrongExpectedVersion(request.stream, request.expected, actual)
    return None


def _meets(expected: ExpectedVersion, actual: int | None) -> bool:
    if expected is StreamState.ANY:
        return True
    if expected is StreamState.NO_STREAM:
        return actual is None
    if expected is StreamState.EXISTS:
        return actual is not None
    return expected == actual


def leader_target(exc: BaseException) -> str | None:
    """The `host:port` of the leader a not-leader error names, if it names one."""
    if isinstance(exc, NodeIsNotLeaderError) and exc.host and exc.port:
        return f"{exc.host}:{exc.port}"
    return None


def is_read_retryable(exc: BaseException) -> bool:
    """A read that failed while iterating, for want of a leader or a connection."""
    return isinstance(exc, NodeIsNotLeaderError | ServiceUnavailableError)
