"""The Decider pattern and its given/when/then specification helper.

A decider is three pure things: an initial state, `decide(command, state) -> events` (raising a
domain error when the state forbids the command) and `evolve(state, event) -> state`. Time and
outside facts come in through the command, so a decider needs no I/O and no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

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
    """Given past events, when a command, then what the decider must produce:

    - `then(*expected)`: exactly these events, equal field by field;
    - `then_types(*event_classes)`: events of exactly these classes, in this order (for values
      computed elsewhere: ids, tokens, estimates). Returns the events for field assertions;
    - `then_matches(check)`: `check(events)` returns exactly `True` (not None, not merely truthy);
    - `raises(error, match=...)`: the decider refuses with `error`.

    Every helper fails by raising `AssertionError` itself, so it still fails under `python -O`,
    and none can pass without saying what it expects.
    """

    def __init__(self, decider: Decider[C, S]) -> None:
        self._decider = decider
        self._history: list[DomainEvent] = []

    def given(self, *events: DomainEvent) -> Spec[C, S]:
        self._history = list(events)
        return self

    def when(self, command: C) -> _Outcome[C, S]:
        return _Outcome(self._decider, self._history, command)


def _names(classes: Iterable[type[DomainEvent]]) -> list[str]:
    return [cls.__name__ for cls in classes]


class _Outcome(Generic[C, S]):
    def __init__(self, decider: Decider[C, S], history: list[DomainEvent], command: C) -> None:
        self._decider = decider
        self._history = history
        self._command = command

    def _decide(self) -> list[DomainEvent]:
        state = self._decider.fold(self._history)
        return list(self._decider.decide(self._command, state))

    def then(self, *expected: DomainEvent) -> list[DomainEvent]:
        """The decider produces exactly `expected` (none at all when nothing is given)."""
        produced = self._decide()
        if produced != list(expected):
            raise AssertionError(f"\nexpected: {list(expected)}\nproduced: {produced}")
        return produced

    def then_types(self, *event_classes: type[DomainEvent]) -> list[DomainEvent]:
        """The decider produces events of exactly `event_classes` (not subclasses), in order;
        returns them so the test asserts the fields it cares about."""
        produced = self._decide()
        produced_classes = [type(e) for e in produced]
        if produced_classes != list(event_classes):
            raise AssertionError(
                f"\nexpected types: {_names(event_classes)}"
                f"\nproduced types: {_names(produced_classes)}\nproduced: {produced}"
            )
        return produced

    def then_matches(self, check: Callable[[list[DomainEvent]], bool]) -> list[DomainEvent]:
        """`check(produced)` returns exactly `True`: a check that returns None (asserts
        nothing) or some other truthy value fails."""
        produced = self._decide()
        result = check(produced)
        if result is not True:
            raise AssertionError(f"check returned {result!r}, not True, on {produced}")
        return produced

    def raises(self, error: type[DomainError], match: str | None = None) -> DomainError:
        """The decider refuses with `error` (or a subclass), its message containing `match`."""
        try:
            produced = self._decide()
        except error as raised:
            if match is not None and match not in str(raised):
                raise AssertionError(f"{match!r} not in {str(raised)!r}") from raised
            return raised
        raise AssertionError(f"expected {error.__name__}, produced {produced}")
