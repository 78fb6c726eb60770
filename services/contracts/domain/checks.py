"""Checks every aggregate of the context applies to what people type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from services.contracts.domain.errors import InvalidDetails

T = TypeVar("T")


def required_text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidDetails(f"{field} must not be empty", field=field)
    return text


def email_address(value: str) -> str:
    email = value.strip()
    local, at, domain = email.partition("@")
    if not local or not at or "." not in domain.strip(".") or any(c.isspace() for c in email):
        raise InvalidDetails(f"{value!r} is not an email address", field="email")
    return email


def optional_text(value: str | None) -> str | None:
    """Stripped text; None when absent or blank."""
    if value is None:
        return None
    return value.strip() or None


def maybe(value: str | None, check: Callable[[str], T]) -> T | None:
    """`check(value)` when a value was given."""
    return None if value is None else check(value)


def changed_fields(current: object, proposed: Mapping[str, object]) -> dict[str, object]:
    """The proposed values that differ from the current ones (None: not proposed)."""
    return {
        name: value
        for name, value in proposed.items()
        if value is not None and value != getattr(current, name)
    }
