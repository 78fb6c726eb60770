"""Access and portability: every event of the log that names a member, found through an index.

`PersonalDataIndex` is a projection of the positions of the events that name each member (a
`member_id` field equal to it, at any depth, or a value sealed for `member/<id>`), never their
content. An export page reads those events back from the log and opens them: the log stays the
only place the data is, so an erased key leaves nothing readable behind.

Reading one event back: the index keeps, beside its position, the position of the event the
index folded just before it. No event of the index's types lies between the two, so a read of
the log after that one, filtered on the event's category and type, with a limit of 1, answers
exactly it (a read of the stream would read to its end: a numbering stream holds a year).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from services.privacy import keys
from shared.events.base import DomainEvent, Envelope
from shared.events.catalog import load_contexts
from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventFilter, EventStore, category_of

log = logging.getLogger(__name__)
_SEALED_FOR_MEMBER = re.compile(r"\{pii1:member/([^\s:{}]{1,100}):")
_ID_FIELD = "member_id"


def _names_members(schema: dict[str, Any]) -> bool:
    """Whether a JSON schema (with its definitions) has a `member_id` property somewhere."""
    if _ID_FIELD in schema.get("properties", {}):
        return True
    return any(_ID_FIELD in d.get("properties", {}) for d in schema.get("$defs", {}).values())


def types_naming_members() -> frozenset[str]:
    """Event types whose model can hold a member's id: the only ones that can name a member
    (a value sealed for a member is found by the member_id beside it)."""
    return frozenset(
        name for name, cls in load_contexts().items() if _names_members(cls.model_json_schema())
    )


def _walk(value: object, found: set[str]) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            item = getattr(value, name)
            if name == _ID_FIELD and isinstance(item, str):
                found.add(item)
            else:
                _walk(item, found)
    elif isinstance(value, str):
        if "{pii1:" in value:
            found.update(_SEALED_FOR_MEMBER.findall(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == _ID_FIELD and isinstance(item, str):
                found.add(item)
            else:
                _walk(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(item, found)


def members_named(event: DomainEvent) -> set[str]:
    found: set[str] = set()
    _walk(event, found)
    return found


def index_version(layout: int, handles: frozenset[str]) -> int:
    return layout << 32 | zlib.crc32(",".join(sorted(handles)).encode())


class PersonalDataIndex:
    name = "privacy_index"
    LAYOUT = 1  # bump when the tables or the way events are indexed change

    def __init__(self) -> None:
        self.handles = types_naming_members()
        # A type that comes to name members (a new event, a new field) rebuilds the index, so
        # its older events are found too.
        self.version = index_version(self.LAYOUT, self.handles)

    def create(self, conn: sqlite3.Connection) -> None:
        conn.executescript(
            "CREATE TABLE mentions (member_id TEXT NOT NULL, position INTEGER NOT NULL,"
            " previous INTEGER NOT NULL, category TEXT NOT NULL, type TEXT NOT NULL,"
            " PRIMARY KEY (member_id, position)) WITHOUT ROWID;"
            "CREATE TABLE folded (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER);"
            f"INSERT INTO folded VALUES (1, {START});"
        )

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        previous = conn.execute("SELECT position FROM folded").fetchone()[0]
        category = category_of(envelope.stream)
        conn.executemany(
            "INSERT OR IGNORE INTO mentions VALUES (?, ?, ?, ?, ?)",
            [
                (member_id, envelope.position, previous, category, envelope.type)
                for member_id in members_named(envelope.event)
            ],
        )
        conn.execute("UPDATE folded SET position = ?", (envelope.position,))


@dataclass(frozen=True)
class Mention:
    position: int
    previous: int
    category: str
    type: str


def mentions(
    conn: sqlite3.Connection, member_id: str, after: int | None, limit: int
) -> tuple[list[Mention], int | None]:
    """A page of the events naming the member, in log order, and the cursor when more follow."""
    rows = conn.execute(
        "SELECT position, previous, category, type FROM mentions"
        " WHERE member_id = ? AND position > ? ORDER BY position LIMIT ?",
        (member_id, after or START, limit + 1),
    ).fetchall()
    found = [Mention(*row) for row in rows[:limit]]
    return found, found[-1].position if len(rows) > limit else None


def mention_count(conn: sqlite3.Connection, member_id: str) -> int:
    row = conn.execute("SELECT count(*) FROM mentions WHERE member_id = ?", (member_id,))
    return int(row.fetchone()[0])


def service_of(event: DomainEvent) -> str:
    """The context that publishes the event: the module of the published language it is in."""
    return type(event).__module__.rsplit(".", 1)[-1]


def read_back(store: EventStore, found: list[Mention]) -> Iterator[Envelope]:
    """The events of an index page, from the log (one short filtered read each)."""
    for mention in found:
        only = EventFilter(categories=(mention.category,), types=(mention.type,))
        recorded = store.read_all(after=mention.previous, filter=only, limit=1)
        if recorded and recorded[0].position == mention.position:
            yield decode(recorded[0])
        else:  # the index and the log disagree: a bug, reported (the export goes on)
            log.error("privacy index: no %s at position %s", mention.type, mention.position)


def exported(envelope: Envelope) -> dict[str, Any]:
    """One event as the export shows it: where it is, when, and its data opened."""
    return {
        "position": envelope.position,
        "stream": envelope.stream,
        "version": envelope.version,
        "type": envelope.type,
        "occurred_at": envelope.metadata.occurred_at,
        "recorded_at": envelope.recorded_at,
        "data": keys.reveal(envelope.event.model_dump(mode="json")),
    }
