"""The Decider pattern and its given/when/then specification helper.

A decider is three pure things: an initial state, `decide(command, state) -> events` (raising a
domain error when the state forbids the command) and `evolve(state, event) -> state`. Time and
outside facts come in through the command, so a decider needs no I/O and no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.events.base import DomainEvent

S = TypeVar("S")
C = TypeVar("C")


class DomainError(Exception):
    """A command the state forbids. `code` is the stable problem type slug (`minimum-hours`),
    `field` names the offending input when there is one."""

    code: str = "domain-rule"
    status: int = 422

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    code = "not-found"
    status = 404


class Conflict(DomainError):
    """The command contradicts the resource's current state (already accepted, cancelled…)."""

    code = "conflict"
    status = 409


@dataclass(frozen=True)
class Decider(Generic[C, S]):
    initial_state: Callable[[], S]
    decide: Callable[[C, S], Sequence[DomainEvent]]
    evolve: Callable[[S, DomainEvent], S]

    def fold(self, events: Iterable[DomainEvent], state: S | None = None) -> S:
        current = self.initial_state() if state is None else state
        for event in events:
            current = self.evolve(current, event)
        return current


class Spec(Generic[C, S]):
    """`Spec(decider).given(past events).when(command).then(expected events)` or `.raises(...)`."""

    def __init__(self, decider: Decider[C, S]) -> None:
        self._decider = decider
        self._history: list[DomainEvent] = []

    def given(self, *events: DomainEvent) -> Spec[C, S]:
        self._history = list(events)
        return self

    def when(self, command: C) -> _Outcome[C, S]:
        return _Outcome(self._decider, self._history, command)


class _Outcome(Generic[C, S]):
    def __init__(self, decider: Decider[C, S], history: list[DomainEvent], command: C) -> None:
        self._decider = decider
        self._history = history
        self._command = command

    def _decide(self) -> list[DomainEvent]:
        state = self._decider.fold(self._history)
        return list(self._decider.decide(self._command, state))

    def then(self, *expected: DomainEvent) -> list[DomainEvent]:
        produced = self._decide()
        assert produced == list(expected), f"\nexpected: {list(expected)}\nproduced: {produced}"
        return produced

    def then_produces(self, check: Callable[[list[DomainEvent]], Any]) -> list[DomainEvent]:
        """For events with values computed elsewhere (ids, tokens): assert through a predicate."""
        produced = self._decide()
        result = check(produced)
        assert result is None or result, f"check failed on {produced}"
        return produced

    def raises(self, error: type[DomainError], match: str | None = None) -> DomainError:
        try:
            produced = self._decide()
        except error as raised:
            if match is not None:
                assert match in str(raised), f"{match!r} not in {str(raised)!r}"
            return raised
        raise AssertionError(f"expected {error.__name__}, produced {produced}")
