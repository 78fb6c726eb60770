"""Checks every aggregate of the context applies to what people type.

Every text has a maximum length: long enough for any real value, short enough that what is
stored and printed on documents stays small. The request schemas state the same bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from services.contracts.domain.errors import InvalidDetails

T = TypeVar("T")

EMAIL_MAX = 254  # RFC 5321: the longest address a mail path can carry
ADDRESS_MAX = 500
REASON_MAX = 500  # why a quote was rejected, a prestation cancelled


def bounded(text: str, field: str, max_length: int) -> str:
    if len(text) > max_length:
        raise InvalidDetails(
            f"{field} is {len(text)} characters long; at most {max_length}", field=field
        )
    return text


def required_text(value: str, field: str, *, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidDetails(f"{field} must not be empty", field=field)
    return bounded(text, field, max_length)


def email_address(value: str) -> str:
    email = bounded(value.strip(), "email", EMAIL_MAX)
    local, at, domain = email.partition("@")
    if not local or not at or "." not in domain.strip(".") or any(c.isspace() for c in email):
        raise InvalidDetails(f"{value!r} is not an email address", field="email")
    return email


def optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    """Stripped text; None when absent or blank."""
    if value is None:
        return None
    return bounded(value.strip(), field, max_length) or None


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
