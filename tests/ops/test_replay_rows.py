"""`replay --diff` names exactly the rows a hand altered in a live read model (changed, deleted,
added), and `replay` (rebuild and swap) puts them right; on a small store of the bench's
realistic events, with the live read model built by the projection's own runner."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench import replay_events
from shared.eventstore.factory import open_store
from shared.eventstore.projections import ProjectionRunner
from shared.ops.cli import app, projections
from shared.ops.replay import live_file

NAME = "contracts_views"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    store = open_store(str(tmp_path / "events.sqlite"))
    try:
        head = replay_events.write(store, 240, per_call=50, told=lambda n: None)
        projection, directory = projections(tmp_path)[NAME]
        runner = ProjectionRunner(store, projection, directory)
        runner.start()
        try:
            assert runner.wait_for(head, timeout=30)
        finally:
            runner.stop()
    finally:
        store.close()
    yield tmp_path


def run(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


def live(data_dir: Path) -> sqlite3.Connection:
    projection, directory = projections(data_dir)[NAME]
    return sqlite3.connect(live_file(directory, projection))


def rows(conn: sqlite3.Connection, sql: str, *args: object) -> list[list[object]]:
    return [list(row) for row in conn.execute(sql, args)]


def test_the_diff_names_each_altered_row_and_a_rebuild_repairs_them(data_dir: Path) -> None:
    code, clean = run("replay", NAME, "--diff", "--data-dir", str(data_dir))
    assert code == 0 and clean["differences"] == [] and clean["log_events"] == 240
    assert clean["events"] == 113  # what contracts_views folds of those 240 events

    conn = live(data_dir)
    with conn:
        (prestation,) = rows(conn, "SELECT * FROM prestations ORDER BY seq LIMIT 1 OFFSET 3")
        conn.execute("UPDATE prestations SET total_cents = 1 WHERE seq = ?", (prestation[0],))
        (declaration,) = rows(conn, "SELECT * FROM declarations ORDER BY seq LIMIT 1 OFFSET 7")
        conn.execute("DELETE FROM declarations WHERE seq = ?", (declaration[0],))
        forged = [10**9, "forged-member", "Eve", "Forged", "eve@example.be", "2026-03-02"]
        conn.execute("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?)", forged)
        (altered,) = rows(conn, "SELECT * FROM prestations WHERE seq = ?", prestation[0])
    conn.close()

    code, report = run("replay", NAME, "--diff", "--data-dir", str(data_dir))
    assert code == 1
    found = {d["table"]: (d["only_live"], d["only_replayed"]) for d in report["differences"]}
    assert found == {
        "declarations": ([], [declaration]),
        "members": ([forged], []),
        "prestations": ([altered], [prestation]),
    }

    code, rebuilt = run("replay", NAME, "--data-dir", str(data_dir))
    assert code == 0 and rebuilt["rebuilt"] is True and rebuilt["log_events"] == 240
    code, again = run("replay", NAME, "--diff", "--data-dir", str(data_dir))
    assert code == 0 and again["differences"] == []


def test_a_projection_without_a_live_read_model_is_said_so(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "events.sqlite"))
    replay_events.write(store, 20, told=lambda n: None)
    store.close()
    code, _ = run("replay", NAME, "--diff", "--data-dir", str(tmp_path))
    assert code == 2
