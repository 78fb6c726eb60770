"""The given/when/then helper of `shared.decider`: each check fails when it should.

A toy decider keeps a running total: `Add(n)` records `Added(n)` (a `Doubled` when asked), and
a `Milestone` once the total reaches 10; adding 0 is a no-op; a negative amount is refused.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import shared.decider
from shared.decider import Conflict, Decider, DomainError, Spec
from shared.events.base import DomainEvent

REPO = Path(__file__).resolve().parents[2]


class Added(DomainEvent):
    amount: int


class Doubled(Added):
    """A subclass: `then_types(Added)` must not accept it."""


class Milestone(DomainEvent):
    total: int


class NotPositive(DomainError):
    code = "not-positive"


class TooMuch(NotPositive):
    code = "too-much"


@dataclass(frozen=True)
class Add:
    amount: int
    doubled: bool = False


def decide(command: Add, total: int) -> Sequence[DomainEvent]:
    if command.amount > 100:
        raise TooMuch(f"{command.amount} is too much", field="amount")
    if command.amount < 0:
        raise NotPositive(f"{command.amount} is negative", field="amount")
    if command.amount == 0:
        return []
    amount = command.amount * 2 if command.doubled else command.amount
    added = Doubled(amount=amount) if command.doubled else Added(amount=amount)
    if total < 10 <= total + amount:
        return [added, Milestone(total=total + amount)]
    return [added]


def evolve(total: int, event: DomainEvent) -> int:
    return total + event.amount if isinstance(event, Added) else total


counter: Decider[Add, int] = Decider(initial_state=lambda: 0, decide=decide, evolve=evolve)


def spec() -> Spec[Add, int]:
    return Spec(counter)


class TestThen:
    def test_passes_on_exactly_the_expected_events(self) -> None:
        produced = (
            spec().given(Added(amount=8)).when(Add(3)).then(Added(amount=3), Milestone(total=11))
        )
        assert produced == [Added(amount=3), Milestone(total=11)]

    def test_fails_on_a_different_field(self) -> None:
        with pytest.raises(AssertionError, match="expected"):
            spec().given().when(Add(3)).then(Added(amount=4))

    def test_fails_on_a_missing_or_an_extra_event(self) -> None:
        with pytest.raises(AssertionError):
            spec().given(Added(amount=8)).when(Add(3)).then(Added(amount=3))
        with pytest.raises(AssertionError):
            spec().given().when(Add(3)).then(Added(amount=3), Milestone(total=3))

    def test_with_nothing_expected_fails_when_something_is_produced(self) -> None:
        with pytest.raises(AssertionError):
            spec().given().when(Add(3)).then()

    def test_with_nothing_expected_passes_on_a_no_op(self) -> None:
        assert spec().given().when(Add(0)).then() == []


class TestThenTypes:
    def test_passes_on_exactly_these_types_in_order_and_returns_the_events(self) -> None:
        events = spec().given(Added(amount=9)).when(Add(1)).then_types(Added, Milestone)
        assert events == [Added(amount=1), Milestone(total=10)]

    def test_fails_on_the_wrong_order(self) -> None:
        with pytest.raises(AssertionError, match="expected types: \\['Milestone', 'Added'\\]"):
            spec().given(Added(amount=9)).when(Add(1)).then_types(Milestone, Added)

    def test_fails_on_a_missing_type(self) -> None:
        with pytest.raises(AssertionError, match="produced types: \\['Added', 'Milestone'\\]"):
            spec().given(Added(amount=9)).when(Add(1)).then_types(Added)

    def test_fails_on_an_extra_type(self) -> None:
        with pytest.raises(AssertionError):
            spec().given().when(Add(1)).then_types(Added, Milestone)

    def test_fails_on_a_wrong_type(self) -> None:
        with pytest.raises(AssertionError):
            spec().given().when(Add(1)).then_types(Milestone)

    def test_wants_the_exact_class_not_a_parent_nor_a_subclass(self) -> None:
        with pytest.raises(AssertionError):
            spec().given().when(Add(1, doubled=True)).then_types(Added)
        with pytest.raises(AssertionError):
            spec().given().when(Add(1)).then_types(Doubled)
        assert spec().given().when(Add(1, doubled=True)).then_types(Doubled) == [Doubled(amount=2)]

    def test_with_no_type_fails_when_something_is_produced(self) -> None:
        with pytest.raises(AssertionError):
            spec().given().when(Add(1)).then_types()

    def test_with_no_type_passes_on_a_no_op(self) -> None:
        assert spec().given().when(Add(0)).then_types() == []

    def test_a_refusal_is_not_swallowed(self) -> None:
        with pytest.raises(NotPositive):
            spec().given().when(Add(-1)).then_types(Added)


class TestThenMatches:
    def test_passes_when_the_check_returns_true_and_returns_the_events(self) -> None:
        events = (
            spec().given().when(Add(2)).then_matches(lambda events: events == [Added(amount=2)])
        )
        assert events == [Added(amount=2)]

    def test_fails_when_the_check_returns_false(self) -> None:
        with pytest.raises(AssertionError, match="check returned False"):
            spec().given().when(Add(2)).then_matches(lambda events: len(events) == 2)

    def test_fails_when_the_check_asserts_nothing_and_returns_none(self) -> None:
        def vacuous(events: list[DomainEvent]) -> None:
            pass

        with pytest.raises(AssertionError, match="check returned None"):
            spec().given().when(Add(2)).then_matches(vacuous)  # type: ignore[arg-type]

    @pytest.mark.parametrize("truthy", [1, "yes", [Added(amount=2)]], ids=["1", "str", "list"])
    def test_fails_when_the_check_returns_a_truthy_value_that_is_not_true(
        self, truthy: object
    ) -> None:
        def loose(events: list[DomainEvent]) -> bool:
            return truthy  # type: ignore[return-value]

        with pytest.raises(AssertionError, match="not True"):
            spec().given().when(Add(2)).then_matches(loose)

    def test_the_old_then_produces_bool_idiom_no_longer_passes(self) -> None:
        # bool(events) is True here, but so would any list be: only `is True` counts.
        assert spec().given().when(Add(2)).then_matches(bool) == [Added(amount=2)]
        with pytest.raises(AssertionError):
            spec().given().when(Add(0)).then_matches(bool)
        with pytest.raises(AssertionError):
            spec().given().when(Add(2)).then_matches(list)  # type: ignore[arg-type]


class TestRaises:
    def test_passes_on_the_expected_refusal_and_returns_it(self) -> None:
        refused = spec().given().when(Add(-1)).raises(NotPositive, match="negative")
        assert (refused.code, refused.field) == ("not-positive", "amount")

    def test_a_subclass_of_the_expected_error_passes(self) -> None:
        refused = spec().given().when(Add(101)).raises(NotPositive)
        assert isinstance(refused, TooMuch)

    def test_fails_on_an_unexpected_success(self) -> None:
        with pytest.raises(AssertionError, match="expected NotPositive, produced"):
            spec().given().when(Add(1)).raises(NotPositive)

    def test_fails_on_an_unexpected_no_op(self) -> None:
        with pytest.raises(AssertionError, match=r"expected NotPositive, produced \[\]"):
            spec().given().when(Add(0)).raises(NotPositive)

    def test_fails_when_the_message_does_not_match(self) -> None:
        with pytest.raises(AssertionError, match="'too much' not in"):
            spec().given().when(Add(-1)).raises(NotPositive, match="too much")

    def test_another_error_is_not_taken_for_the_expected_one(self) -> None:
        with pytest.raises(NotPositive):
            spec().given().when(Add(-1)).raises(Conflict)


def test_given_replays_the_history_before_deciding() -> None:
    spec().given(Added(amount=5), Added(amount=4)).when(Add(1)).then(
        Added(amount=1), Milestone(total=10)
    )
    spec().given(Added(amount=10)).when(Add(1)).then(Added(amount=1))


def test_the_helpers_use_no_bare_assert() -> None:
    """`python -O` strips `assert` statements: the helpers raise AssertionError themselves."""
    tree = ast.parse(inspect.getsource(shared.decider))
    asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert asserts == [], f"bare assert on lines {asserts} of shared/decider.py"


def test_the_helpers_still_fail_under_python_optimised() -> None:
    script = """
from tests.kit.test_spec import Add, Added, Milestone, NotPositive, spec

if __debug__:
    raise SystemExit("not running under python -O")
failures = 0
for check in (
    lambda: spec().given().when(Add(3)).then(Added(amount=4)),
    lambda: spec().given().when(Add(3)).then_types(Milestone),
    lambda: spec().given().when(Add(3)).then_matches(lambda events: None),
    lambda: spec().given().when(Add(3)).raises(NotPositive),
    lambda: spec().given().when(Add(-1)).raises(NotPositive, match="too much"),
):
    try:
        check()
    except AssertionError:
        failures += 1
print(failures)
"""
    run = subprocess.run(
        [sys.executable, "-O", "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "5"
