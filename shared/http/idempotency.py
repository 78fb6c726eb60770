"""`Idempotency-Key` on POST: a retried request gets the first answer, never a second effect.

A pure ASGI middleware, so it sees the exact bytes of the request and of the answer. Records
live in their own SQLite table, keyed by who asked (a hash of the Authorization header), the
method, the path and the key. The key is claimed by an INSERT before the handler runs, so two
concurrent requests with the same key (in one process or several) never both run it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem_response

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
KEPT_HEADERS = frozenset({b"content-type", b"location", b"etag"})

log = logging.getLogger("coop.http.idempotency")

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_records (
    principal      TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    path           TEXT    NOT NULL,
    key            TEXT    NOT NULL,
    request_sha256 TEXT    NOT NULL,
    claim_id       TEXT    NOT NULL,
    claimed_at     REAL    NOT NULL,
    status         INTEGER,
    headers        TEXT,
    body           BLOB,
    PRIMARY KEY (principal, method, path, key)
);
CREATE INDEX IF NOT EXISTS idempotency_records_by_age ON idempotency_records (claimed_at);
"""

RecordKey = tuple[str, str, str, str]  # principal hash, method, path, key


@dataclass(frozen=True, slots=True)
class Claimed:
    claim_id: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the key already holds: a finished answer, or (status None) a running request."""

    request_sha256: str
    status: int | None
    headers: list[tuple[bytes, bytes]]
    body: bytes


class IdempotencyRecords:
    """The table. Calls block on SQLite, so the middleware runs them in a worker thread."""

    def __init__(
        self,
        path: str | Path,
        *,
        in_flight_timeout: float = 300.0,
        retention: float = 24 * 3600.0,
    ) -> None:
        self.path = str(path)
        # A claim older than this belongs to a process that died mid-request: take it over.
        self.in_flight_timeout = in_flight_timeout
        self.retention = retention
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._last_prune = 0.0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            self._conn = conn
        return self._conn

    def claim(self, key: RecordKey, request_sha256: str) -> Claimed | Recorded:
        """Takes the key (new, or abandoned, or past retention), or tells what it holds."""
        now = time.time()
        claim_id = uuid.uuid4().hex
        with self._lock:
            conn = self._connection()
            self._prune(conn, now)
            taken = conn.execute(
                "INSERT INTO idempotency_records"
                " (principal, method, path, key, request_sha256, claim_id, claimed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (principal, method, path, key) DO UPDATE SET"
                " request_sha256 = excluded.request_sha256, claim_id = excluded.claim_id,"
                " claimed_at = excluded.claimed_at, status = NULL, headers = NULL, body = NULL"
                " WHERE (status IS NULL AND claimed_at < ?) OR claimed_at < ?",
                (
                    *key,
                    request_sha256,
                    claim_id,
                    now,
                    now - self.in_flight_timeout,
                    now - self.retention,
                ),
            ).rowcount
            if taken:
                return Claimed(claim_id)
            row = conn.execute(
                "SELECT request_sha256, status, headers, body FROM idempotency_records"
                " WHERE principal = ? AND method = ? AND path = ? AND key = ?",
                key,
            ).fetchone()
        if row is None:  # released since our insert failed: the holder is just finishing
            return Recorded(request_sha256, None, [], b"")
        request_hash, status, headers, body = row
        decoded = [
            (n.encode("latin-1"), v.encode("latin-1")) for n, v in json.loads(headers or "[]")
        ]
        return Recorded(request_hash, status, decoded, body or b"")

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        if now - self._last_prune > 3600:
            self._last_prune = now
            cutoff = now - max(self.retention, self.in_flight_timeout)
            conn.execute("DELETE FROM idempotency_records WHERE claimed_at < ?", (cutoff,))

    def complete(
        self,
        key: RecordKey,
        claim_id: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        stored = json.dumps([(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers])
        with self._lock:
            self._connection().execute(
                "UPDATE idempotency_records SET status = ?, headers = ?, body = ?"
                " WHERE principal = ? AND method = ? AND path = ? AND key = ? AND claim_id = ?",
                (status, stored, body, *key, claim_id),
            )

    def release(self, key: RecordKey, claim_id: str) -> None:
        with self._lock:
            self._connection().execute(
                "DELETE FROM idempotency_records"
                " WHERE principal = ? AND method = ? AND path = ? AND key = ? AND claim_id = ?",
                (*key, claim_id),
            )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, db_path: str | Path) -> None:
        self.app = app
        self.records = IdempotencyRecords(db_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing_on_shutdown(send))
            return
        key = _idempotency_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            detail = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long"
            await _problem(scope, receive, send, 400, "invalid-idempotency-key", detail)
            return

        body = await _read_body(receive)
        request_sha256 = hashlib.sha256(body).hexdigest()
        record_key: RecordKey = (_principal_hash(scope), scope["method"], scope["path"], key)
        outcome = await anyio.to_thread.run_sync(self.records.claim, record_key, request_sha256)
        match outcome:
            case Recorded(request_sha256=recorded_hash) if recorded_hash != request_sha256:
                detail = "this Idempotency-Key was used with a different request body"
                await _problem(scope, receive, send, 422, "idempotency-key-reused", detail)
            case Recorded(status=None):
                detail = "a request with this Idempotency-Key is still running; retry later"
                await _problem(
                    scope, receive, send, 409, "idempotency-key-in-flight", detail, retry=True
                )
            case Recorded(status=int(status), headers=headers, body=recorded_body):
                await _replay(send, status, headers, recorded_body)
            case Claimed(claim_id=claim_id):
                await self._run(scope, _replaying(body, receive), send, record_key, claim_id)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, key: RecordKey, claim_id: str
    ) -> None:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(n.lower(), v) for n, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.records.release, key, claim_id)
            raise
        # A server error may be transient, and a 401 never reached the handler: free the key
        # so that a retry runs (and nobody without a valid key fills the table).
        if status >= 500 or status == 401:
            await anyio.to_thread.run_sync(self.records.release, key, claim_id)
            return
        kept = [(n, v) for n, v in headers if n in KEPT_HEADERS]
        await anyio.to_thread.run_sync(
            self.records.complete, key, claim_id, status, kept, b"".join(chunks)
        )

    def _closing_on_shutdown(self, send: Send) -> Send:
        async def closing_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                self.records.close()
            await send(message)

        return closing_send


def _idempotency_key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    for name, value in scope["headers"]:
        if name == HEADER:
            return str(value.decode("latin-1"))
    return None


def _principal_hash(scope: Scope) -> str:
    authorization = next((v for n, v in scope["headers"] if n == b"authorization"), b"")
    return hashlib.sha256(authorization).hexdigest()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The handler reads the body we already consumed, then whatever comes next."""
    delivered = False

    async def replaying_receive() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying_receive


async def _replay(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    all_headers = [*headers, (b"content-length", str(len(body)).encode()), REPLAYED_HEADER]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    retry: bool = False,
) -> None:
    headers = {"Retry-After": "1"} if retry else None
    response = problem_response(status, code, detail, instance=scope["path"], headers=headers)
    await response(scope, receive, send)
