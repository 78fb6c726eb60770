"""The hash chain on a real SQLite file: seals, a flipped byte and a deleted event named by
position; export then import into an empty store gives the same chain head."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from shared.eventstore.port import EventFilter
from shared.eventstore.sqlite import SQLiteEventStore
from shared.ops import backup, chain
from tests.integration.helpers import append


def filled(path: Path) -> SQLiteEventStore:
    store = SQLiteEventStore(str(path))
    for n in range(30):
        append(store, f"alpha-{n % 4}", "AlphaHappened", 1, marker=f"MARK{n:04d}")
    append(store, "beta-1", "BetaHappened", 5)
    return store


def sealed(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "events.sqlite"
    store = filled(path)
    ledger = chain.Ledger(tmp_path / "chain.sqlite")
    assert chain.extend(store, ledger, seal_every=10) == 35
    append(store, "alpha-9", "AlphaHappened", 3)
    assert chain.extend(store, ledger, seal_every=10) == 3
    ledger.close()
    store.close()
    return path, tmp_path / "chain.sqlite"


def test_a_sealed_untouched_store_verifies(tmp_path: Path) -> None:
    path, ledger_path = sealed(tmp_path)
    store = SQLiteEventStore(str(path))
    seals = store.read_all(filter=EventFilter(categories=("chainseal",)))
    assert [s.stream for s in seals] == ["chainseal-10", "chainseal-20", "chainseal-30"]
    verdict = chain.verify(store, chain.Ledger(ledger_path))
    assert verdict.ok and verdict.events == 38 and verdict.seals_checked == 3
    latest = chain.latest_seal(store)
    assert latest is not None and latest["events_covered"] == 30
    assert latest["head_hash"] == verdict_hash_at(store, 30)


def verdict_hash_at(store: SQLiteEventStore, count: int) -> str:
    previous, n = chain.GENESIS, 0
    for recorded in chain.events_in_order(store):
        if not chain.is_seal(recorded):
            previous, n = chain.link(previous, recorded), n + 1
            if n == count:
                return previous.hex()
    raise AssertionError("too few events")


def _position_of(path: Path, marker: str) -> int:
    conn = sqlite3.connect(path)
    row = conn.execute(
        "SELECT position FROM events WHERE CAST(data AS TEXT) LIKE ?", (f"%{marker}%",)
    ).fetchone()
    conn.close()
    return int(row[0])


def _flip_byte(path: Path, marker: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = bytearray(path.read_bytes())
    at = raw.find(marker.encode())
    assert at > 0 and raw.find(marker.encode(), at + 1) == -1
    raw[at + len(marker) - 1] ^= 0x01  # "MARK0017" becomes "MARK0016"
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("with_ledger", [True, False])
def test_flipping_one_byte_in_the_file_is_named(tmp_path: Path, with_ledger: bool) -> None:
    path, ledger_path = sealed(tmp_path)
    bad = _position_of(path, "MARK0017")
    _flip_byte(path, "MARK0017")
    store = SQLiteEventStore(str(path))
    verdict = chain.verify(store, chain.Ledger(ledger_path) if with_ledger else None)
    assert not verdict.ok
    if with_ledger:
        assert verdict.first_bad_position == bad and "changed" in verdict.reason
    else:  # only seals: the first seal after the change fails, the range names it
        assert verdict.first_bad_position is not None and verdict.first_bad_position >= bad
        assert verdict.seals_checked == 1


@pytest.mark.parametrize("with_ledger", [True, False])
def test_deleting_one_event_is_named(tmp_path: Path, with_ledger: bool) -> None:
    path, ledger_path = sealed(tmp_path)
    gone = _position_of(path, "MARK0005")
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM events WHERE position = ?", (gone,))
    conn.commit()
    conn.close()
    verdict = chain.verify(
        SQLiteEventStore(str(path)), chain.Ledger(ledger_path) if with_ledger else None
    )
    assert not verdict.ok
    if with_ledger:
        assert verdict.first_bad_position == gone and "missing" in verdict.reason
    else:
        assert verdict.seals_checked == 0 and verdict.first_bad_position is not None


def test_a_deleted_tail_and_an_altered_seal_are_caught(tmp_path: Path) -> None:
    path, ledger_path = sealed(tmp_path)
    conn = sqlite3.connect(path)
    last = conn.execute("SELECT max(position) FROM events").fetchone()[0]
    conn.execute("DELETE FROM events WHERE position = ?", (last,))
    conn.commit()
    verdict = chain.verify(SQLiteEventStore(str(path)), chain.Ledger(ledger_path))
    assert not verdict.ok and verdict.first_bad_position == last
    conn.execute("UPDATE events SET data = CAST('{' AS BLOB) WHERE stream = 'chainseal-20'")
    conn.commit()
    conn.close()
    verdict = chain.verify(SQLiteEventStore(str(path)))
    assert not verdict.ok and "seal was altered" in verdict.reason


def test_export_then_import_restores_the_same_log_and_chain_head(tmp_path: Path) -> None:
    path, _ = sealed(tmp_path)
    source = SQLiteEventStore(str(path))
    exported = io.StringIO()
    assert backup.export(source, exported) == 41
    copy = SQLiteEventStore(str(tmp_path / "copy.sqlite"))
    assert backup.restore(copy, io.StringIO(exported.getvalue())) == 41
    original, restored = source.read_all(), copy.read_all()
    key = [(r.id, r.stream, r.version, r.type, r.data, r.metadata) for r in original]
    assert [(r.id, r.stream, r.version, r.type, r.data, r.metadata) for r in restored] == key
    first, second = chain.verify(source), chain.verify(copy)
    assert first.ok and second.ok and first.head == second.head and second.seals_checked == 3
    with pytest.raises(backup.NotEmpty):
        backup.restore(copy, io.StringIO(exported.getvalue()))


def test_exports_select_a_stream_a_category_and_a_range(tmp_path: Path) -> None:
    store = filled(tmp_path / "events.sqlite")
    lines = io.StringIO()
    backup.export(store, lines, backup.Selection(stream="alpha-1"))
    assert {line.split('"stream": "')[1][:7] for line in lines.getvalue().splitlines()} == {
        "alpha-1"
    }
    only_beta = io.StringIO()
    assert (
        backup.export(store, only_beta, backup.Selection(filter=EventFilter(categories=("beta",))))
        == 5
    )
    ranged = io.StringIO()
    assert backup.export(store, ranged, backup.Selection(after=3, until=10)) == 7


def test_an_import_of_a_line_that_is_not_an_event_says_which(tmp_path: Path) -> None:
    copy = SQLiteEventStore(str(tmp_path / "copy.sqlite"))
    with pytest.raises(ValueError, match="line 2"):
        backup.restore(
            copy,
            [
                '{"id": "'
                + "0" * 8
                + "-0000-0000-0000-"
                + "0" * 12
                + '", "stream": "a-1", "version": 0, "type": "T", "data": "{}", "metadata": "{}"}',
                "{}",
            ],
        )
