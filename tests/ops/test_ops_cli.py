"""The operations tool's commands over a data directory the embedded app wrote."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shared.ops.cli import app
from shared.ops.replay import live_file
from tests.api.api_client import TODAY
from tests.integration.helpers import running

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Members, clients and an encoded prestation, the app stopped (its read models caught up)."""
    directory = tmp_path_factory.mktemp("ops")
    with running(directory) as api:
        api.set_today(TODAY)
        members = [api.register_member(first_name=f"Ann{n}") for n in range(3)]
        client = api.register_client()
        prestation = api.encode(members[0]["member_id"], client["client_id"])
        head = api.store.head()
        assert api.app.state.contracts_service.runtime.views.wait_for(head, 10)
        known = {"member": members[0]["member_id"], "prestation": prestation["prestation_id"]}
        (directory / "facts.json").write_text(json.dumps(known))
    yield directory


def run(*args: str) -> tuple[int, Any]:
    result = RUNNER.invoke(app, list(args))
    text = result.stdout.strip()
    try:
        return result.exit_code, json.loads(text) if text else None
    except json.JSONDecodeError:
        return result.exit_code, text


def facts(data_dir: Path) -> dict[str, str]:
    found: dict[str, str] = json.loads((data_dir / "facts.json").read_text())
    return found


def test_replay_diff_finds_nothing_on_a_consistent_system(data_dir: Path) -> None:
    code, report = run("replay", "all", "--diff", "--data-dir", str(data_dir))
    assert code == 0, report
    assert isinstance(report, str) and '"differences": []' in report.replace("\n", "")


def test_replay_diff_names_the_rows_altered_by_hand(data_dir: Path, tmp_path: Path) -> None:
    from services.contracts.projections import ContractsViews

    path = live_file(data_dir / "contracts", ContractsViews())
    conn = sqlite3.connect(path)
    member = facts(data_dir)["member"]
    (original,) = conn.execute(
        "SELECT last_name FROM members WHERE member_id = ?", (member,)
    ).fetchone()
    conn.execute("UPDATE members SET last_name = 'Forged' WHERE member_id = ?", (member,))
    conn.commit()
    try:
        code, report = run("replay", "contracts_views", "--diff", "--data-dir", str(data_dir),
                           "--scratch", str(tmp_path / "scratch.sqlite"))  # fmt: skip
        assert code == 1
        assert report["differences"][0]["table"] == "members"
        (live_row,) = report["differences"][0]["only_live"]
        (replayed_row,) = report["differences"][0]["only_replayed"]
        assert member in live_row and "Forged" in live_row and "Forged" not in replayed_row
        assert report["events_per_second"] > 0
    finally:
        conn.execute("UPDATE members SET last_name = ? WHERE member_id = ?", (original, member))
        conn.commit()
        conn.close()


def test_verify_seal_and_latest_seal(data_dir: Path, tmp_path: Path) -> None:
    code, sealed = run("seal", "--data-dir", str(data_dir), "--every", "5")
    assert code == 0 and sealed["latest_seal"]["events_covered"] % 5 == 0
    code, verdict = run("verify", "--data-dir", str(data_dir))
    assert code == 0 and verdict["ok"] and verdict["seals_checked"] >= 1
    code, latest = run("latest-seal", "--data-dir", str(data_dir))
    assert latest == sealed["latest_seal"]


def test_export_import_then_verify_gives_the_same_head(data_dir: Path, tmp_path: Path) -> None:
    exported = tmp_path / "backup.jsonl"
    assert run("export", str(exported), "--data-dir", str(data_dir))[0] == 0
    copy = tmp_path / "copy"
    code, _ = run("import", str(exported), "--data-dir", str(copy))
    assert code == 0
    _, original = run("verify", "--data-dir", str(data_dir), "--no-ledger")
    _, restored = run("verify", "--data-dir", str(copy))
    assert original["ok"] and restored["ok"] and original["head"] == restored["head"]
    assert run("import", str(exported), "--data-dir", str(copy))[0] != 0  # not empty any more


def test_explain_a_document_and_a_row(data_dir: Path) -> None:
    prestation = facts(data_dir)["prestation"]
    code, steps = run("explain", f"prestation-{prestation}", "--data-dir", str(data_dir))
    assert code == 0 and steps[0]["type"] == "PrestationEncoded"
    member = facts(data_dir)["member"]
    code, steps = run("explain", "--data-dir", str(data_dir), "--projection", "contracts_views",
                      "--table", "members", "--column", "member_id", "--value", member)  # fmt: skip
    assert code == 0 and [s["type"] for s in steps] == ["MemberRegistered"]


def test_as_of_a_position_and_a_date(data_dir: Path) -> None:
    prestation = facts(data_dir)["prestation"]
    stream = f"prestation-{prestation}"
    code, now = run("as-of", stream, "--data-dir", str(data_dir))
    assert code == 0 and now["events"] >= 1
    code, before = run("as-of", stream, "--data-dir", str(data_dir), "--on", "2000-01-01")
    assert code == 0 and before["events"] == 0
    code, first = run(
        "as-of", stream, "--data-dir", str(data_dir), "--position", str(now["position"])
    )
    assert first["events"] == now["events"]
