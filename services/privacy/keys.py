"""The privacy service's one door to the personal-data vault (`shared.personal`): the process's
key store, installed by the composition root that serves it."""

from __future__ import annotations

from typing import TypeVar

from shared.personal import ERASED, current_vault
from shared.personal import reveal as _reveal

T = TypeVar("T")

__all__ = ["ERASED", "erase", "is_erased", "reveal"]


def erase(subject: str) -> None:
    """Deletes the subject's key, durably; erasing twice is harmless."""
    current_vault().erase(subject)


def is_erased(subject: str) -> bool:
    return current_vault().is_erased(subject)


def reveal(value: T) -> T:
    """`value` with its sealed personal values opened (`ERASED` where the key is gone)."""
    return _reveal(value)
