"""Cursors and If-Match ETags: only what the service could have handed out is accepted."""

from __future__ import annotations

import pytest

from shared.http.paging import (
    MAX_DIGITS,
    InvalidCursor,
    InvalidIfMatch,
    format_cursor,
    parse_cursor,
    parse_if_match,
)

HOSTILE = [
    "²",  # str.isdigit() accepts it, int() does not
    "٣",  # an Arabic-Indic digit: int() reads it as 3
    "1" * 5000,  # int() refuses over 4,300 digits
    "9" * (MAX_DIGITS + 1),  # past SQLite's INTEGER once it reaches 2^63
    "-1",
    "+1",
    " 1",
    "1e3",
    "0x10",
    "page-2",
]


@pytest.mark.parametrize("cursor", ["0", "42", "9" * MAX_DIGITS])
def test_a_cursor_is_the_number_it_was_made_of(cursor: str) -> None:
    position = parse_cursor(cursor)
    assert position == int(cursor) and format_cursor(int(cursor)) == cursor


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_is_the_first_page(cursor: str | None) -> None:
    assert parse_cursor(cursor) is None


@pytest.mark.parametrize("cursor", HOSTILE, ids=range(len(HOSTILE)))
def test_anything_else_is_a_bad_request_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        parse_cursor(cursor)
    assert (raised.value.status, raised.value.code, raised.value.field) == (
        400,
        "invalid-cursor",
        "cursor",
    )
    assert len(raised.value.detail) < 200  # the value is not echoed whole


@pytest.mark.parametrize(
    ("header", "version"), [('"3"', 3), ('W/"3"', 3), ("3", 3), (' "0" ', 0), ('"12"', 12)]
)
def test_an_etag_names_a_version(header: str, version: int) -> None:
    assert parse_if_match(header) == version


def test_no_if_match_is_no_precondition() -> None:
    assert parse_if_match(None) is None


@pytest.mark.parametrize(
    "header",
    [*(f'"{text}"' for text in HOSTILE), "", "*", '"3', '3"', '"3", "4"', "W/3", "yesterday"],
)
def test_anything_else_is_a_bad_request_naming_if_match(header: str) -> None:
    with pytest.raises(InvalidIfMatch) as raised:
        parse_if_match(header)
    assert (raised.value.status, raised.value.code, raised.value.field) == (
        400,
        "invalid-if-match",
        "If-Match",
    )
