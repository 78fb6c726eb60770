"""Seals personal values with their person's key and opens them where they leave the system.

Inside the system a personal value is its sealed text: events, read models, outboxes and
replies kept for retries hold that text only, so erasing a person's key erases every copy at
once. A value is opened (`reveal`) for a decider folding a stream, a reply, a document or a
message to the outside; once the key is erased it opens as `ERASED`.
"""

from __future__ import annotations

import binascii
import dataclasses
import json
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from shared.personal.keystore import KeyStore, SQLiteKeyStore
from shared.personal.tokens import NONCE_BYTES, PREFIX, TOKEN, open_sealed, seal

ERASED = "[erased]"
_PREFIX = PREFIX.encode()
_ERASED = ERASED.encode()
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_JSON_TOKEN = re.compile(TOKEN.pattern.encode())
_NEEDS_ESCAPE = re.compile(rb'[\x00-\x1f"\\]')
T = TypeVar("T")


class Vault:
    def __init__(self, keys: KeyStore, *, freshness: float = 0.05) -> None:
        """`freshness`: how long (s) the keys in memory are trusted before the key store is
        asked whether another process erased one (a read that close to an erasure is one
        that began before it)."""
        self.keys = keys
        self.freshness = freshness
        self._cache: dict[str, AESGCM] = {}
        self._checked = 0.0
        self._lock = threading.Lock()
        self._epoch = 0  # counts the times keys held in memory were forgotten

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.freshness:
            return
        self._checked = now
        # Another process may have erased a key this one holds: forget them all then.
        if self.keys.changed_elsewhere():
            with self._lock:
                self._cache.clear()
                self._epoch += 1

    def epoch(self) -> int:
        """Changes whenever a key may have been erased since: what was opened before it may
        not be opened now (folds kept in memory compare it)."""
        self._fresh()
        return self._epoch

    def _key(self, subject: str, *, create: bool) -> AESGCM | None:
        cached = self._cache.get(subject)
        if cached is not None:
            return cached
        key = self.keys.key(subject, create=create)
        if key is None:
            return None
        cipher = AESGCM(key)
        with self._lock:
            self._cache[subject] = cipher
        return cipher

    def seal(self, subject: str, text: str) -> str:
        self._fresh()
        match = TOKEN.fullmatch(text) if text.startswith(PREFIX) else None
        if match is not None and self._is_sealed(match):
            return text  # already sealed (copied from a read model or a reply)
        key = self._key(subject, create=True)
        if key is None:
            return ERASED  # an erased person: nothing new of theirs is kept
        return seal(key, subject, text)

    def _is_sealed(self, match: Any) -> bool:
        """A text sealed by this system, or of a person since erased (not a lookalike)."""
        subject, body = match.groups()
        key = self._key(subject, create=False)
        if key is None:
            return self.keys.is_erased(subject)
        return open_sealed(key, subject, body) is not None

    def _opened(self, match: Any) -> str | None:
        subject, body = match.groups()
        key = self._key(subject, create=False)
        if key is None:
            return ERASED
        return open_sealed(key, subject, body)

    def _open_match(self, match: Any) -> str:
        opened = self._opened(match)
        return match.group(0) if opened is None else opened

    def reveal_text(self, text: str) -> str:
        if PREFIX not in text:
            return text
        self._fresh()
        whole = TOKEN.fullmatch(text)
        if whole is not None:  # the usual case: a field that is one sealed value
            opened = self._opened(whole)
            if opened is None or PREFIX not in opened:
                return text if opened is None else opened
            text = opened
        for _ in range(3):  # a sealed text may hold sealed texts (a name built from two)
            text = TOKEN.sub(self._open_match, text)
            if PREFIX not in text:
                break
        return text

    def reveal(self, value: T) -> T:
        return _reveal(self, value)

    def reveal_json(self, body: bytes) -> bytes:
        """A JSON document with every sealed value in it opened (escaped as JSON text)."""
        start = body.find(_PREFIX)
        if start < 0:
            return body
        self._fresh()
        # `find`, then a match anchored there: a regex searching the whole document costs
        # as much as the decryption, and this runs for every value a fold or a reply opens.
        parts, done = [], 0
        while start >= 0:
            token = _JSON_TOKEN.match(body, start)
            if token is None:  # a text that only begins like one: looked past
                start = body.find(_PREFIX, start + 1)
                continue
            parts += [body[done:start], self._open_json(token)]
            done = token.end()
            start = body.find(_PREFIX, done)
        parts.append(body[done:])
        return b"".join(parts)

    def _open_json(self, token: re.Match[bytes]) -> bytes:
        sealed, subject, body = token.group(0), token.group(1), token.group(2)
        cipher = self._cache.get(subject.decode()) or self._key(subject.decode(), create=False)
        if cipher is None:
            return _ERASED
        try:
            raw = binascii.a2b_base64(body.translate(_URLSAFE) + b"=" * (-len(body) % 4))
            opened = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject)
        except (InvalidTag, ValueError):
            return sealed  # not sealed by this system: shown as the text it is
        if _PREFIX in opened or _NEEDS_ESCAPE.search(opened):
            text = self.reveal_text(opened.decode())
            return json.dumps(text, ensure_ascii=False)[1:-1].encode()
        return opened  # nothing to escape: most names, NISS, IBANs, e-mails

    def erase(self, subject: str) -> None:
        self.keys.erase(subject)
        with self._lock:
            self._cache.pop(subject, None)
            self._epoch += 1

    def is_erased(self, subject: str) -> bool:
        return self.keys.is_erased(subject)

    def close(self) -> None:
        self.keys.close()


def _reveal(vault: Vault, value: Any) -> Any:
    if isinstance(value, str):
        return vault.reveal_text(value)
    if isinstance(value, BaseModel):
        changes = {}
        for name in type(value).model_fields:
            item = getattr(value, name)
            revealed = _reveal(vault, item)
            if revealed is not item:
                changes[name] = revealed
        return value.model_copy(update=changes) if changes else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            revealed = _reveal(vault, item)
            if revealed is not item:
                changes[field.name] = revealed
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, Mapping):
        return {key: _reveal(vault, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(vault, item) for item in value]
    if isinstance(value, tuple):
        items = [_reveal(vault, item) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


_current = Vault(SQLiteKeyStore(":memory:"))
_current_path: str = ":memory:"


def current_vault() -> Vault:
    return _current


def install_vault(path: Path | str) -> Vault:
    """The process's vault: the key store at `path` (the same file for every process of one
    system). Opening the same path again keeps the vault in place."""
    global _current, _current_path
    if str(path) != _current_path:
        _current, _current_path = Vault(SQLiteKeyStore(path)), str(path)
    return _current


def reveal(value: T) -> T:
    return _current.reveal(value)


def reveal_text(text: str) -> str:
    return _current.reveal_text(text)


def reveal_json(body: bytes) -> bytes:
    return _current.reveal_json(body)
