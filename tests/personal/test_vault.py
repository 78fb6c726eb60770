"""Sealing and opening personal values: one key a person, erasure, other processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.personal import ERASED, Vault
from shared.personal.keystore import SQLiteKeyStore
from shared.personal.tokens import PREFIX, TOKEN


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(SQLiteKeyStore(tmp_path / "keys.sqlite3"))


def test_a_sealed_value_names_its_key_and_hides_its_text(vault: Vault) -> None:
    sealed = vault.seal("member/M-1", "85073003328")
    match = TOKEN.fullmatch(sealed)
    assert match is not None and match.group(1) == "member/M-1"
    assert "85073003328" not in sealed
    assert vault.reveal_text(sealed) == "85073003328"


def test_the_same_value_seals_differently_each_time(vault: Vault) -> None:
    assert vault.seal("member/M-1", "Dupont") != vault.seal("member/M-1", "Dupont")


def test_a_value_copied_under_another_persons_name_does_not_open(vault: Vault) -> None:
    sealed = vault.seal("member/M-1", "Dupont")
    vault.seal("member/M-2", "x")  # M-2 has a key of its own
    forged = sealed.replace("member/M-1", "member/M-2")
    assert vault.reveal_text(forged) == forged  # shown as the text it is, never opened


def test_texts_built_from_sealed_values_open_inside_longer_text(vault: Vault) -> None:
    first, last = vault.seal("member/M-1", "Zoé"), vault.seal("member/M-1", 'O"Brien')
    assert vault.reveal_text(f"{first} {last}, member") == 'Zoé O"Brien, member'


def test_erasing_a_person_erases_every_copy_of_their_values(vault: Vault) -> None:
    kept = [vault.seal("member/M-1", "Dupont"), vault.seal("member/M-1", "BE68539007547034")]
    other = vault.seal("member/M-2", "Martin")
    vault.erase("member/M-1")
    assert [vault.reveal_text(v) for v in kept] == [ERASED, ERASED]
    assert vault.reveal_text(other) == "Martin"
    assert vault.is_erased("member/M-1") and not vault.is_erased("member/M-2")


def test_nothing_new_is_kept_of_an_erased_person(vault: Vault) -> None:
    vault.seal("member/M-1", "Dupont")
    vault.erase("member/M-1")
    assert vault.seal("member/M-1", "Durand") == ERASED


def test_an_already_sealed_value_is_kept_as_it_is(vault: Vault) -> None:
    sealed = vault.seal("member/M-1", "Dupont")
    assert vault.seal("member/M-1", sealed) == sealed


def test_a_text_that_only_looks_sealed_is_sealed_like_any_text(vault: Vault) -> None:
    lookalike = PREFIX + "member/M-1:" + "A" * 60 + "}"
    sealed = vault.seal("member/M-1", lookalike)
    assert sealed != lookalike and vault.reveal_text(sealed) == lookalike


def test_an_erasure_in_another_process_reaches_this_ones_cached_keys(tmp_path: Path) -> None:
    here = Vault(SQLiteKeyStore(tmp_path / "keys.sqlite3"))
    elsewhere = Vault(SQLiteKeyStore(tmp_path / "keys.sqlite3"), freshness=0)
    sealed = here.seal("member/M-1", "Dupont")
    assert elsewhere.reveal_text(sealed) == "Dupont"  # now cached there
    here.erase("member/M-1")
    assert elsewhere.reveal_text(sealed) == ERASED
    assert elsewhere.seal("member/M-1", "Durand") == ERASED


def test_two_processes_creating_a_persons_key_agree_on_one(tmp_path: Path) -> None:
    a = Vault(SQLiteKeyStore(tmp_path / "keys.sqlite3"))
    b = Vault(SQLiteKeyStore(tmp_path / "keys.sqlite3"))
    sealed_by_a, sealed_by_b = a.seal("client/C-1", "Acme"), b.seal("client/C-1", "Acme")
    assert b.reveal_text(sealed_by_a) == a.reveal_text(sealed_by_b) == "Acme"


def test_an_erased_key_leaves_no_trace_in_the_key_file(tmp_path: Path) -> None:
    keys = SQLiteKeyStore(tmp_path / "keys.sqlite3")
    key = keys.key("member/M-1", create=True)
    assert key is not None and key in (tmp_path / "keys.sqlite3").read_bytes()
    keys.erase("member/M-1")
    keys.close()
    assert key not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_the_keys_restore_into_an_empty_store(tmp_path: Path) -> None:
    source = SQLiteKeyStore(tmp_path / "a.sqlite3")
    source.key("member/M-1", create=True)
    source.key("member/M-2", create=True)
    source.erase("member/M-2")
    target = SQLiteKeyStore(tmp_path / "b.sqlite3")
    assert target.restore(source.rows()) == 2
    assert target.rows() == source.rows()
    assert target.restore(source.rows()) == 0
