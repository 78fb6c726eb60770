"""Where an event model's personal fields are, and how to seal or open them in its JSON data.

An event class's plan is computed once from the markers in its field types
(`shared.events.personal`): the fields to seal, with the person whose key seals them, and the
nested parts (a buyer snapshot, a bank statement's movements) that hold such fields.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from shared.events.personal import Personal


@dataclass(frozen=True, slots=True)
class Leaf:
    name: str
    marker: Personal


@dataclass(frozen=True, slots=True)
class Nested:
    name: str
    plan: Plan
    many: bool  # a tuple of parts


Plan = tuple[Leaf | Nested, ...]


def _markers(annotation: Any) -> list[Personal]:
    found = []
    if typing.get_origin(annotation) is typing.Annotated:
        found += [m for m in annotation.__metadata__ if isinstance(m, Personal)]
    for argument in typing.get_args(annotation):
        found += _markers(argument)
    return found


def _marker(info: FieldInfo) -> Personal | None:
    markers = [m for m in info.metadata if isinstance(m, Personal)] + _markers(info.annotation)
    return markers[0] if markers else None


def _part(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model type a field holds (itself, optional, or a tuple of them)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    arguments = [a for a in typing.get_args(annotation) if a is not type(None) and a is not ...]
    if origin in (tuple, list) and len(arguments) == 1:
        inner = _part(arguments[0])
        return (inner[0], True) if inner else None
    if origin in (typing.Union, types.UnionType) and len(arguments) == 1:
        return _part(arguments[0])
    return None


@functools.cache
def plan_of(model: type[BaseModel]) -> Plan:
    steps: list[Leaf | Nested] = []
    for name, info in model.model_fields.items():
        marker = _marker(info)
        if marker is not None:
            steps.append(Leaf(name, marker))
            continue
        part = _part(info.annotation)
        if part is not None and (inner := plan_of(part[0])):
            steps.append(Nested(name, inner, part[1]))
    return tuple(steps)


def personal_fields(model: type[BaseModel]) -> tuple[tuple[str, Personal], ...]:
    """Every personal field as a dotted path ("buyer.name", "movements.*.counterparty_name")."""

    def walk(plan: Plan, prefix: str) -> list[tuple[str, Personal]]:
        found = []
        for step in plan:
            if isinstance(step, Leaf):
                found.append((prefix + step.name, step.marker))
            else:
                found += walk(step.plan, f"{prefix}{step.name}.{'*.' if step.many else ''}")
        return found

    return tuple(walk(plan_of(model), ""))


class MissingSubject(ValueError):
    pass


Transform = Callable[[str, str], str]  # (subject, text) → text


def transform(plan: Plan, data: dict[str, Any], change: Transform, model: str) -> dict[str, Any]:
    """A copy of `data` (an event's JSON object) with each personal text passed to `change`
    with the subject whose key seals it; `model` names the event when a personal value comes
    without its person's id (refused: it could never be erased)."""
    return _apply(plan, data, (data,), change, model)


def _apply(
    plan: Plan,
    data: dict[str, Any],
    scopes: tuple[dict[str, Any], ...],
    change: Transform,
    model: str,
) -> dict[str, Any]:
    out = dict(data)
    for step in plan:
        value = data.get(step.name)
        if value is None:
            continue
        if isinstance(step, Nested):
            items = value if step.many else [value]
            done = [_apply(step.plan, item, (item, *scopes), change, model) for item in items]
            out[step.name] = done if step.many else done[0]
            continue
        out[step.name] = _texts(value, _subject(step, scopes, model), change)
    return out


def _subject(leaf: Leaf, scopes: tuple[dict[str, Any], ...], model: str) -> str:
    for scope in scopes:
        person = scope.get(leaf.marker.id_field)
        if person:
            return leaf.marker.subject(str(person))
    raise MissingSubject(f"{model}.{leaf.name} is personal but carries no {leaf.marker.id_field}")


def _texts(value: Any, subject: str, change: Transform) -> Any:
    if isinstance(value, str):
        return change(subject, value)
    if isinstance(value, dict):
        return {key: _texts(item, subject, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_texts(item, subject, change) for item in value]
    return value
