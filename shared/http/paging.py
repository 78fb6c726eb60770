"""Strict parsing of the numbers clients echo back: page cursors and `If-Match` ETags.

Both are tokens this service handed out (a row's sequence number, a stream version), so only
what it can have written is accepted: ASCII digits (`str.isdigit` also accepts "²" and "٣",
which `int` then refuses), at most `MAX_DIGITS` of them, so the number fits SQLite's INTEGER
and never costs a long conversion. Anything else is a 400 problem naming the field.
"""

from __future__ import annotations

import re

from shared.decider import DomainError

# 10^18 - 1 < 2^63 - 1: every such number binds as an SQLite INTEGER.
MAX_DIGITS = 18
_NUMBER = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
# An ETag as sent back: "3", W/"3" (weak), or a bare 3 (lenient, older clients send it).
_ETAG = re.compile(rf'(?:W/)?"([0-9]{{1,{MAX_DIGITS}}})"|([0-9]{{1,{MAX_DIGITS}}})')
_SHOWN = 40  # characters of a refused value echoed in the problem's detail


class InvalidCursor(DomainError):
    code = "invalid-cursor"
    status = 400


class InvalidIfMatch(DomainError):
    code = "invalid-if-match"
    status = 400


def parse_cursor(cursor: str | None, *, field: str = "cursor") -> int | None:
    """The position after which the next page starts; None (or "") is the first page."""
    if not cursor:
        return None
    if not _NUMBER.fullmatch(cursor):
        raise InvalidCursor(
            f"{cursor[:_SHOWN]!r} is not a cursor: pass the next_cursor of a previous page",
            field=field,
        )
    return int(cursor)


def format_cursor(position: int) -> str:
    return str(position)


def parse_if_match(value: str | None, *, field: str = "If-Match") -> int | None:
    """The stream version an `If-Match` header names; None when there is no header."""
    if value is None:
        return None
    found = _ETAG.fullmatch(value.strip())
    if found is None:
        raise InvalidIfMatch(
            f'If-Match is the ETag of the version you read, like "3", not {value[:_SHOWN]!r}',
            field=field,
        )
    return int(found.group(1) or found.group(2))
