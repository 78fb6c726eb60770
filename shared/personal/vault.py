"""Seals personal values with their person's key and opens them where they leave the system.

Inside the system a personal value is its sealed text: events, read models, outboxes and
replies kept for retries hold that text only, so erasing a person's key erases every copy at
once. A value is opened (`reveal`) for a decider folding a stream, a reply, a document or a
message to the outside; once the key is erased it opens as `ERASED`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.personal.keystore import KeyStore, SQLiteKeyStore
from shared.personal.tokens import PREFIX, TOKEN, open_sealed, seal

ERASED = "[erased]"
T = TypeVar("T")


class Vault:
    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _fresh(self) -> None:
        # Another process may have erased a key this one holds: forget them all then.
        if self.keys.changed_elsewhere():
            with self._lock:
                self._cache.clear()

    def _key(self, subject: str, *, create: bool) -> bytes | None:
        cached = self._cache.get(subject)
        if cached is not None:
            return cached
        key = self.keys.key(subject, create=create)
        if key is not None:
            with self._lock:
                self._cache[subject] = key
        return key

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
        for _ in range(3):  # a sealed text may hold sealed texts (a name built from two)
            text = TOKEN.sub(self._open_match, text)
            if PREFIX not in text:
                break
        return text

    def reveal(self, value: T) -> T:
        return _reveal(self, value)

    def erase(self, subject: str) -> None:
        self.keys.erase(subject)
        with self._lock:
            self._cache.pop(subject, None)

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
