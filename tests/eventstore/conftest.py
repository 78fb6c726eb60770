"""One contract suite, every engine: the SQLite engine always, KurrentDB when Docker answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.eventstore.port import EventStore
from shared.eventstore.sqlite import SQLiteEventStore


@pytest.fixture(scope="session")
def kurrentdb_session_store() -> Iterator[EventStore]:
    from tests.eventstore.kurrentdb_container import kurrentdb_store

    with kurrentdb_store() as store:
        yield store


@pytest.fixture(params=["sqlite-memory", "sqlite-file", "kurrentdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "kurrentdb":
        yield request.getfixturevalue("kurrentdb_session_store")
        return
    location = ":memory:" if request.param == "sqlite-memory" else str(tmp_path / "events.db")
    engine = SQLiteEventStore(location)
    yield engine
    engine.close()
