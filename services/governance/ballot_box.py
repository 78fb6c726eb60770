"""The sealed ballot box: what each voter chose, kept outside the event log until the close.

A ballot is sealed (with its voter, for the instant between the seal and the VoteCast append)
then confirmed, which forgets the voter. Rows are keyed by a random token in a WITHOUT ROWID
table, so their order is the tokens' (random), not the order of voting; `secure_delete` zeroes
what is deleted. A crash between the seal and the confirmation leaves a ballot still naming its
voter: the close keeps it when the log says that voter voted, drops it otherwise. After the
close, the assembly's ballots live only in its BallotsOpened event and are deleted here.

`VoteTags` lets a retried vote be told from another vote under the same Idempotency-Key
without putting anything on VoteCast that a ballot could be recomputed from: see its note.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from shared.events.governance import Ballot


class BallotBox:
    """One short connection per operation: votes are few, and nothing stays open to close."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS ballots (token TEXT PRIMARY KEY, assembly_id TEXT"
                " NOT NULL, voter TEXT, ballot TEXT NOT NULL) WITHOUT ROWID"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10.0, isolation_level=None)) as conn:
            conn.execute("PRAGMA secure_delete = ON")
            yield conn

    def seal(self, assembly_id: str, voter: str, ballot: Ballot) -> str:
        token = secrets.token_hex(16)
        with self._connect() as conn:
            # An unconfirmed ballot of this voter is from an attempt whose VoteCast never
            # landed (the caller checked the log first): this one replaces it.
            conn.execute(
                "DELETE FROM ballots WHERE assembly_id = ? AND voter = ?", (assembly_id, voter)
            )
            conn.execute(
                "INSERT INTO ballots VALUES (?, ?, ?, ?)",
                (token, assembly_id, voter, ballot.model_dump_json()),
            )
        return token

    def confirm(self, token: str) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE ballots SET voter = NULL WHERE token = ?", (token,))

    def forget_voter(self, assembly_id: str, voter: str) -> None:
        """A retry found its VoteCast in the log: the ballot a crash left unconfirmed forgets
        its voter now rather than at the close."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE ballots SET voter = NULL WHERE assembly_id = ? AND voter = ?",
                (assembly_id, voter),
            )

    def discard(self, token: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM ballots WHERE token = ?", (token,))

    def ballots(self, assembly_id: str, voters: frozenset[str]) -> tuple[Ballot, ...]:
        """The confirmed ballots, and those a crash left unconfirmed whose voter did vote."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT voter, ballot FROM ballots WHERE assembly_id = ?", (assembly_id,)
            ).fetchall()
        return tuple(
            Ballot.model_validate_json(text)
            for voter, text in rows
            if voter is None or voter in voters
        )

    def empty(self, assembly_id: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM ballots WHERE assembly_id = ?", (assembly_id,))


class VoteTags:
    """Tags binding a vote request's ballot to its Idempotency-Key, kept on VoteCast's
    `request_digest` so a retry with another ballot under the same key is refused.

    A plain digest of the ballot would give the ballot away: there are few ballots, and anyone
    reading the log could hash each of them and compare. The tag is an HMAC under a random
    secret per assembly, of the request's (scoped) key and the ballot: the key makes equal
    ballots of two voters tag differently, and the secret lives in this process's memory only,
    never on disk, and is dropped at the close (or lost with a restart). Without it a tag
    says nothing of the ballot; a retry after that is checked on who votes, how, only.
    """

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def tag(self, assembly_id: str, key: str, ballot: Ballot, *, create: bool = True) -> str | None:
        with self._lock:
            secret = self._secrets.get(assembly_id)
            if secret is None and create:
                secret = self._secrets[assembly_id] = secrets.token_bytes(32)
        if secret is None:
            return None
        message = f"{key}\n{ballot.model_dump_json()}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    def drop(self, assembly_id: str) -> None:
        with self._lock:
            self._secrets.pop(assembly_id, None)
