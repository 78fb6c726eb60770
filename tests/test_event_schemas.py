"""The published language may only change compatibly, or with a new version and an upcaster."""

from __future__ import annotations

import json
import re

import pytest

from shared.events.base import has_upcaster
from shared.events.catalog import (
    SCHEMA_DIR,
    file_name,
    incompatibilities,
    load_contexts,
    schema_of,
)

EVENTS = load_contexts()


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_the_current_schema_is_committed_unchanged(name: str) -> None:
    cls = EVENTS[name]
    path = SCHEMA_DIR / file_name(name, cls.schema_version)
    assert path.exists(), f"{path.name} is not committed: run `make schemas`"
    committed = json.loads(path.read_text())
    current = schema_of(cls)
    problems = incompatibilities(committed, current)
    assert not problems, (
        f"{name} v{cls.schema_version} changed incompatibly ({'; '.join(problems)}): "
        f"bump schema_version and register an upcaster from v{cls.schema_version}"
    )
    assert committed == current, f"{name} changed compatibly: run `make schemas` to commit it"


def test_every_older_version_has_an_upcaster() -> None:
    for path in SCHEMA_DIR.glob("*.json"):
        match = re.fullmatch(r"(\w+)\.v(\d+)\.json", path.name)
        assert match, f"unexpected file {path.name}"
        name, version = match[1], int(match[2])
        assert name in EVENTS, f"{path.name} describes an event that no longer exists"
        if version < EVENTS[name].schema_version:
            assert has_upcaster(name, version), f"{name} v{version} has no upcaster"


def test_the_compatibility_rule() -> None:
    old = {"properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert incompatibilities(old, old) == []
    with_optional = {"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}
    assert incompatibilities(old, {**with_optional, "required": ["a"]}) == []
    assert incompatibilities(old, {**with_optional, "required": ["a", "b"]}) == [
        "new field 'b' is required"
    ]
    assert incompatibilities(old, {"properties": {"a": {"type": "string"}}}) == [
        "field 'a' changed its schema"
    ]
    assert incompatibilities(old, {"properties": {}}) == ["field 'a' was removed"]
