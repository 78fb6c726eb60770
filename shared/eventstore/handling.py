"""Command handling: load streams, fold them, decide, append with the expected versions.

One decision may span several streams (a prestation and its member's free uses; later an
invoice and its numbering stream): every stream it touches is appended atomically, each with
the version it was read at. A concurrent writer makes the append fail with
WrongExpectedVersion; the handler then reloads and decides again, a bounded number of times,
so no update is ever lost or applied twice.

A request with an `Idempotency-Key` marks the events it appends (`Context.idempotency_key`).
Before deciding, the handler looks for that mark in the streams it loaded: when the first
attempt's append landed (even if its answer was lost in a crash), the retry gets what the first
attempt made, folded up to its last event, instead of a second effect.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.decider import Decider, DomainError
from shared.events.base import Context, DomainEvent, Envelope
from shared.eventstore.codec import decode, decode_shared, to_new_events
from shared.eventstore.folded import FOLDED
from shared.eventstore.port import (
    NO_STREAM,
    AppendRequest,
    AppendResult,
    EventStore,
    ExpectedVersion,
    WrongExpectedVersion,
)
from shared.personal.vault import current_vault

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


def load(
    store: EventStore, stream: str, decider: Decider[C, S], *, reveal: bool = True
) -> Loaded[S]:
    """The stream folded, its personal values opened: a decider may check or copy them.
    `reveal=False` for a decision that reads none (a DIMONA answer): the sealed events, which
    this process's projections have most likely decoded a moment ago (`decode_shared`).
    A stream this process folded before is read from where that fold ended (`FOLDED`)."""
    vault = current_vault() if reveal else None
    epoch = 0 if vault is None else vault.epoch()
    kept: Loaded[S] | None = FOLDED.get(store, stream, decider, vault, epoch)
    after = -1 if kept is None or kept.version is None else kept.version
    records = store.read_stream(stream, after + 1)
    if kept is not None and not records:
        return kept
    if kept is not None and records[0].version != after + 1:  # never, on an append-only log
        kept, records = None, store.read_stream(stream)
    envelopes = (
        [decode(r, reveal=True) for r in records] if reveal else list(map(decode_shared, records))
    )
    events = (e.event for e in envelopes)
    if kept is None:
        state = decider.fold(events)
    else:
        state, envelopes = decider.fold(events, kept.state), [*kept.envelopes, *envelopes]
    loaded = Loaded(stream, state, envelopes[-1].version if envelopes else None, envelopes)
    if kept is not None and FOLDED.verify:
        _check_kept(loaded, store, decider, reveal)
    if envelopes:
        FOLDED.put(store, stream, decider, vault, epoch, loaded)
    return loaded


def _check_kept(loaded: Loaded[S], store: EventStore, decider: Decider[C, S], reveal: bool) -> None:
    """The tests' guard on the deciders' purity: a fold continued from a kept state must be the
    fold from the first event (an `evolve` that changed its state in place would differ)."""
    records = store.read_stream(loaded.stream)[: len(loaded.envelopes)]  # not what came since
    full = decider.fold(decode(r, reveal=reveal).event for r in records)
    if full != loaded.state:
        raise RuntimeError(f"the kept fold of {loaded.stream} differs from a fold from its start")


@dataclass(frozen=True)
class Handled(Generic[S]):
    events: list[DomainEvent]
    state: S
    result: AppendResult | None  # None: the command changed nothing
    version: int | None  # the stream's version now (None: it still does not exist)
    replayed: bool = False  # the request had been handled before: this is its first answer

    @property
    def position(self) -> int | None:
        return None if self.result is None else self.result.position


class PreconditionFailed(DomainError):
    """The caller decided on a version (`If-Match`) the stream has moved past."""

    code = "precondition-failed"
    status = 412


class IdempotencyKeyReused(DomainError):
    """The same Idempotency-Key came back with another request body."""

    code = "idempotency-key-reused"
    status = 422


@dataclass(frozen=True)
class Part(Generic[S]):
    """One stream a decision reads and may append to, with the decider that folds it."""

    stream: str
    decider: Decider[Any, S]


Decision = Callable[[Sequence[Loaded[Any]]], Sequence[Sequence[DomainEvent]]]


def handle_many(
    store: EventStore,
    parts: Sequence[Part[Any]],
    decide: Decision,
    context: Context,
    *,
    if_match: int | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> list[Handled[Any]]:
    """Load every part's stream, `decide(loaded)` the events of each (one list per part, in
    order), and append them all atomically, each stream expecting the version it was read at.

    `if_match` is the version the caller read of the first part's stream: any other version is
    the caller's to resolve (PreconditionFailed, or the store's conflict when the stream moves
    between this load and the append), never retried here.
    """
    for attempt in range(attempts):
        loaded = [load(store, part.stream, part.decider) for part in parts]
        replay = _replay(parts, loaded, context)
        if replay is not None:
            return replay
        if if_match is not None and loaded[0].version != if_match:
            raise PreconditionFailed(
                f"{loaded[0].stream} is at version {loaded[0].version}, not {if_match}",
                field="If-Match",
            )
        decided = [list(events) for events in decide(loaded)]
        if len(decided) != len(parts):
            raise ValueError(f"a decision over {len(parts)} streams gave {len(decided)} lists")
        requests = [
            AppendRequest(current.stream, to_new_events(events, context), current.expected)
            for current, events in zip(loaded, decided, strict=True)
            if events
        ]
        if not requests:
            return [Handled([], current.state, None, current.version) for current in loaded]
        try:
            if len(requests) == 1:
                only = requests[0]
                result = store.append(only.stream, only.events, only.expected)
            else:
                result = store.append_many(requests)
        except WrongExpectedVersion:
            if if_match is not None or attempt == attempts - 1:
                raise
            if attempt:  # writers that lost together would race again in step: spread them
                time.sleep(random.uniform(0, 0.001 * min(2**attempt, 16)))
            continue
        return [
            Handled(
                events,
                part.decider.fold(events, current.state),
                result if events else None,
                result.versions.get(current.stream, current.version),
            )
            for part, current, events in zip(parts, loaded, decided, strict=True)
        ]
    raise RuntimeError("unreachable: the last attempt returns or raises")  # pragma: no cover


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
    """Decide `command` on one stream and append what it produces.

    `command` may be a function of the current state, rebuilt on each attempt (for commands
    that carry facts read from elsewhere).
    """

    def decide(loaded: Sequence[Loaded[Any]]) -> list[Sequence[DomainEvent]]:
        state: S = loaded[0].state
        concrete = command(state) if callable(command) else command
        return [decider.decide(concrete, state)]

    (handled,) = handle_many(
        store, [Part(stream, decider)], decide, context, if_match=if_match, attempts=attempts
    )
    return handled


def _replay(
    parts: Sequence[Part[Any]], loaded: Sequence[Loaded[Any]], context: Context
) -> list[Handled[Any]] | None:
    """What the first attempt of this request made, when its events are in the streams."""
    key = context.idempotency_key
    if key is None:
        return None
    marked = [
        [i for i, e in enumerate(current.envelopes) if e.metadata.idempotency_key == key]
        for current in loaded
    ]
    if not any(marked):
        return None
    digests = {
        current.envelopes[i].metadata.request_digest
        for current, indexes in zip(loaded, marked, strict=True)
        for i in indexes
    }
    if digests != {context.request_digest}:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with a different request body", field="Idempotency-Key"
        )
    position = max(
        current.envelopes[indexes[-1]].position
        for current, indexes in zip(loaded, marked, strict=True)
        if indexes
    )
    versions = {
        current.stream: current.envelopes[indexes[-1]].version
        for current, indexes in zip(loaded, marked, strict=True)
        if indexes
    }
    result = AppendResult(position, versions)
    replayed: list[Handled[Any]] = []
    for part, current, indexes in zip(parts, loaded, marked, strict=True):
        if not indexes:
            replayed.append(Handled([], current.state, None, current.version, replayed=True))
            continue
        until = current.envelopes[: indexes[-1] + 1]
        state = part.decider.fold(e.event for e in until)
        events = [current.envelopes[i].event for i in indexes]
        replayed.append(Handled(events, state, result, until[-1].version, replayed=True))
    return replayed


@dataclass(frozen=True)
class Job(Generic[C, S]):
    """One command on one stream, for `handle_batch`."""

    stream: str
    decider: Decider[C, S]
    command: C
    context: Context
    reveal: bool = True  # False: the decision reads no personal value (see `load`)


def handle_batch(
    store: EventStore, jobs: Sequence[Job[Any, Any]]
) -> list[Handled[Any] | DomainError]:
    """Independent commands on distinct streams (a poll's answers, a run's payments), decided
    each on its own stream and appended in one transaction: one flush for the lot instead of
    one each. A command the state refuses gives its error in its place, the others go on. When
    a stream moved meanwhile, each job is handled again on its own, with the usual retries.
    """
    if len({job.stream for job in jobs}) != len(jobs):
        raise ValueError("a batch names each stream at most once")
    outcomes: list[Handled[Any] | DomainError] = []
    requests: list[AppendRequest] = []
    decided: list[tuple[int, Loaded[Any], list[DomainEvent]]] = []
    for job in jobs:
        loaded = load(store, job.stream, job.decider, reveal=job.reveal)
        try:
            events = list(job.decider.decide(job.command, loaded.state))
        except DomainError as refused:
            outcomes.append(refused)
            continue
        outcomes.append(Handled(events, loaded.state, None, loaded.version))
        if events:
            decided.append((len(outcomes) - 1, loaded, events))
            requests.append(
                AppendRequest(job.stream, to_new_events(events, job.context), loaded.expected)
            )
    if not requests:
        return outcomes
    try:
        result = store.append_many(requests)
    except WrongExpectedVersion:
        return [_handled_alone(store, job) for job in jobs]
    for index, loaded, events in decided:
        job = jobs[index]
        state = job.decider.fold(events, loaded.state)
        outcomes[index] = Handled(events, state, result, result.versions[job.stream])
    return outcomes


def _handled_alone(store: EventStore, job: Job[Any, Any]) -> Handled[Any] | DomainError:
    try:
        return handle(store, job.stream, job.decider, job.command, job.context)
    except DomainError as refused:
        return refused
