"""The privacy service's one door to the personal-data vault (`shared.personal`).

INTERIM: the vault lands with issue 13's core; until then this module keeps which subjects
were erased in memory and reveals nothing (values are in clear). Every call of the service
goes through here, so switching to the vault changes this module only.
"""

from __future__ import annotations

import threading
from typing import TypeVar

T = TypeVar("T")
ERASED = "[erased]"

_erased: set[str] = set()
_lock = threading.Lock()


def erase(subject: str) -> None:
    """Deletes the subject's key, durably; erasing twice is harmless."""
    with _lock:
        _erased.add(subject)


def is_erased(subject: str) -> bool:
    with _lock:
        return subject in _erased


def reveal(value: T) -> T:
    """`value` with its sealed personal values opened (or `ERASED` when the key is gone)."""
    return value
