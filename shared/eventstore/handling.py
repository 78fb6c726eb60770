"""Command handling: load a stream, fold it, decide, append with the expected version.

A concurrent writer makes the append fail with WrongExpectedVersion; the handler then reloads
and decides again, a bounded number of times, so no update is ever lost or applied twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.decider import Decider, DomainError
from shared.events.base import Context, DomainEvent, Envelope
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import (
    NO_STREAM,
    AppendResult,
    EventStore,
    ExpectedVersion,
    WrongExpectedVersion,
)

S = TypeVar("S")
C = TypeVar("C")

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """A stream folded into its state, with the version an append must expect."""

    stream: str
    state: S
    version: int | None  # None: the stream does not exist yet
    envelopes: list[Envelope]

    @property
    def expected(self) -> ExpectedVersion:
        return NO_STREAM if self.version is None else self.version


def load(store: EventStore, stream: str, decider: Decider[C, S]) -> Loaded[S]:
    envelopes = [decode(recorded) for recorded in store.read_stream(stream)]
    state = decider.fold(e.event for e in envelopes)
    version = envelopes[-1].version if envelopes else None
    return Loaded(stream, state, version, envelopes)


@dataclass(frozen=True)
class Handled(Generic[S]):
    events: list[DomainEvent]
    state: S
    result: AppendResult | None  # None: the command changed nothing
    version: int | None  # the stream's version now (None: it still does not exist)

    @property
    def position(self) -> int | None:
        return None if self.result is None else self.result.position


class PreconditionFailed(DomainError):
    """The caller decided on a version (`If-Match`) the stream has moved past."""

    code = "precondition-failed"
    status = 412


def handle(
    store: EventStore,
    stream: str,
    decider: Decider[C, S],
    command: C | Callable[[S], C],
    context: Context,
    *,
    if_match: int | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> Handled[S]:
    """Decide `command` on `stream` and append what it produces.

    `command` may be a function of the current state, rebuilt on each attempt (for commands
    that carry facts read from elsewhere). With `if_match`, the caller decided on that version
    of the stream: any other version is its to resolve (PreconditionFailed, or the store's
    conflict when the stream moves between this load and the append), never retried here.
    """
    for attempt in range(attempts):
        loaded = load(store, stream, decider)
        if if_match is not None and loaded.version != if_match:
            raise PreconditionFailed(
                f"{stream} is at version {loaded.version}, not {if_match}", field="If-Match"
            )
        concrete = command(loaded.state) if callable(command) else command
        events = list(decider.decide(concrete, loaded.state))
        state = decider.fold(events, loaded.state)
        if not events:
            return Handled(events, state, None, loaded.version)
        try:
            result = store.append(stream, to_new_events(events, context), loaded.expected)
        except WrongExpectedVersion:
            if if_match is not None or attempt == attempts - 1:
                raise
            continue
        return Handled(events, state, result, result.versions[stream])
    raise AssertionError("unreachable")  # pragma: no cover
