"""The committed JSON Schemas of every event, and the compatibility rule they enforce.

`python -m shared.events.catalog` (make schemas) writes `schemas/<Type>.v<N>.json`. A change to
an event is compatible when every existing field keeps its schema and no new field is required:
old events still decode. Anything else needs a new `schema_version` and an upcaster from the
previous one.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import shared.events
from shared.events.base import DomainEvent, registered_events

SCHEMA_DIR = Path(__file__).with_name("schemas")


def load_contexts() -> dict[str, type[DomainEvent]]:
    """Imports every context module of the published language and returns its events."""
    for module in pkgutil.iter_modules(shared.events.__path__):
        if module.name not in {"base", "catalog"}:
            importlib.import_module(f"shared.events.{module.name}")
    return {
        name: cls
        for name, cls in registered_events().items()
        if cls.__module__.startswith("shared.events.")
    }


def file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def schema_of(cls: type[DomainEvent]) -> dict[str, Any]:
    return cls.model_json_schema(mode="serialization")


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems = []
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_properties.items():
        if name not in new_properties:
            problems.append(f"field {name!r} was removed")
        elif new_properties[name] != schema:
            problems.append(f"field {name!r} changed its schema")
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    problems.extend(f"new field {name!r} is required" for name in sorted(added_required))
    if old.get("$defs", {}) != {
        key: value for key, value in new.get("$defs", {}).items() if key in old.get("$defs", {})
    }:
        problems.append("a nested definition changed")
    return problems


def write() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    written = []
    for name, cls in sorted(load_contexts().items()):
        path = SCHEMA_DIR / file_name(name, cls.schema_version)
        text = json.dumps(schema_of(cls), indent=2, sort_keys=True) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path}")
