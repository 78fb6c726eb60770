"""Opens the event store a setting names: a SQLite path (the default) or a KurrentDB URI."""

from __future__ import annotations

from pathlib import Path

from shared.eventstore.port import EventStore

KURRENTDB_SCHEMES = ("kurrentdb://", "kurrentdb+discover://", "esdb://", "esdb+discover://")


def open_store(location: str) -> EventStore:
    if location.startswith(KURRENTDB_SCHEMES):
        from shared.eventstore.kurrentdb import KurrentDBEventStore

        return KurrentDBEventStore(location)
    if "://" in location:
        raise ValueError(f"unsupported event store location {location!r}")
    from shared.eventstore.sqlite import SQLiteEventStore

    if location != ":memory:":
        Path(location).parent.mkdir(parents=True, exist_ok=True)
    return SQLiteEventStore(location)
