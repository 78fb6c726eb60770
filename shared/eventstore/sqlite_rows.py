"""The SQLite engine's table and rows: the schema, the statements on it, and row decoding.

`shared.eventstore.sqlite` runs the engine; this module only says what a row is and how the
engine reads and writes one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from shared.eventstore.port import EventFilter, Position, RecordedEvent

__all__ = ["COLUMNS", "INSERT", "SCHEMA", "read_all_query", "recorded_all"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY,
    event_id    BLOB    NOT NULL UNIQUE,
    stream      TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    data        BLOB    NOT NULL,
    metadata    BLOB    NOT NULL,
    recorded_at REAL    NOT NULL,
    UNIQUE (stream, version)
);
-- Reads filtered by category or type scan the log, as KurrentDB's filtered reads of $all do:
-- their consumers run near the head, and an index each would cost every append (files made
-- before this had them).
DROP INDEX IF EXISTS events_by_category;
DROP INDEX IF EXISTS events_by_type;
"""

COLUMNS = "event_id, stream, version, position, type, data, metadata, recorded_at"
INSERT = (
    "INSERT INTO events (event_id, stream, category, version, type, data, metadata, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


_Row = tuple[bytes, str, int, int, str, bytes, bytes, float]


def _fast_uuid(raw: bytes) -> uuid.UUID:
    """`uuid.UUID(bytes=raw)` without the constructor's argument checks (60 % of its cost):
    a stored id is always 16 bytes. Sets the two slots that `UUID.__init__` and unpickling set.
    """
    value = object.__new__(uuid.UUID)
    object.__setattr__(value, "int", int.from_bytes(raw, "big"))
    object.__setattr__(value, "is_safe", uuid.SafeUUID.unknown)
    return value


def _checked_uuid(raw: bytes) -> uuid.UUID:
    return uuid.UUID(bytes=raw)


_PROBE = uuid.UUID("12345678-9abc-4def-8123-456789abcdef")
_uuid_from_bytes: Callable[[bytes], uuid.UUID] = (
    _fast_uuid
    if _fast_uuid(_PROBE.bytes) == _PROBE and repr(_fast_uuid(_PROBE.bytes)) == repr(_PROBE)
    else _checked_uuid  # another Python's UUID layout: take the safe road
)


def recorded_all(rows: list[_Row]) -> list[RecordedEvent]:
    """Rows → recorded events. The events of one append share their `recorded_at`, so its
    datetime is built once per run of equal timestamps."""
    events: list[RecordedEvent] = []
    add = events.append
    last_stamp: float | None = None
    when = datetime.min
    for event_id, stream, version, position, event_type, data, metadata, stamp in rows:
        if stamp != last_stamp:
            last_stamp, when = stamp, datetime.fromtimestamp(stamp, UTC)
        add(
            RecordedEvent(
                _uuid_from_bytes(event_id),
                stream,
                version,
                position,
                event_type,
                data,
                metadata,
                when,
            )
        )
    return events


def read_all_query(
    after: Position, filter: EventFilter, limit: int | None, upto: Position | None = None
) -> tuple[str, list[object]]:
    clauses = ["position > ?"]
    params: list[object] = [after]
    if upto is not None:
        clauses.append("position <= ?")
        params.append(upto)
    for column, values in (("category", filter.categories), ("type", filter.types)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    sql = f"SELECT {COLUMNS} FROM events WHERE {' AND '.join(clauses)} ORDER BY position"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, params
