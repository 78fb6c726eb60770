"""The key store's backup through the operations tool: encrypted, restorable, refused when
the passphrase is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.ops.cli import app as ops
from shared.personal import ERASED, Vault
from shared.personal.backup import BadBackup, export_keys, import_keys
from shared.personal.keystore import SQLiteKeyStore

PASSPHRASE = "correct horse battery staple"


def test_the_keys_survive_a_backup_and_restore_into_a_fresh_data_directory(
    tmp_path: Path,
) -> None:
    source = Vault(SQLiteKeyStore(tmp_path / "a" / "keys.sqlite3"))
    kept, erased = source.seal("member/M-1", "Peeters"), source.seal("member/M-2", "Martin")
    source.erase("member/M-2")
    backup = tmp_path / "keys.backup"
    env = {"COOP_KEYS_PASSPHRASE": PASSPHRASE, "COOP_ADMIN_KEY": "k" * 40}
    run = CliRunner().invoke(ops, ["export-keys", str(backup), "--data-dir", str(tmp_path / "a")],
                             env=env)  # fmt: skip
    assert run.exit_code == 0, run.output
    assert b"Peeters" not in backup.read_bytes()
    restored = CliRunner().invoke(
        ops, ["import-keys", str(backup), "--data-dir", str(tmp_path / "b")], env=env
    )
    assert restored.exit_code == 0, restored.output
    target = Vault(SQLiteKeyStore(tmp_path / "b" / "keys.sqlite3"))
    assert target.reveal_text(kept) == "Peeters"
    assert target.reveal_text(erased) == ERASED and target.is_erased("member/M-2")


def test_a_wrong_passphrase_or_an_altered_backup_is_refused(tmp_path: Path) -> None:
    keys = SQLiteKeyStore(tmp_path / "keys.sqlite3")
    keys.key("member/M-1", create=True)
    backup = export_keys(keys, PASSPHRASE)
    with pytest.raises(BadBackup, match="passphrase"):
        import_keys(SQLiteKeyStore(":memory:"), backup, "not the passphrase at all")
    with pytest.raises(BadBackup):
        import_keys(
            SQLiteKeyStore(":memory:"), backup.replace(b'"keys": "', b'"keys": "AA'), PASSPHRASE
        )
    with pytest.raises(BadBackup, match="12"):
        export_keys(keys, "short")
