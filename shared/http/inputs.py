"""Request values read by their written form only, as API.md writes them.

Pydantic's lax mode reads `0` or `"86400"` as a date (a Unix timestamp) and `"7.0"` or `" 7 "`
as a whole number: a typo then becomes 1970-01-01 or a silent rounding. These types accept
`YYYY-MM-DD` and ASCII digits only, and say so in a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,18}")  # fits SQLite's 64-bit INTEGER


def _date_text(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _digits(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise ValueError("a whole number is written in at most 18 ASCII digits")
    return int(value)


IsoDate = Annotated[dt.date, BeforeValidator(_date_text)]
WholeNumber = Annotated[int, BeforeValidator(_digits)]
# An id in a path: what this system hands out is at most 64 characters (a prefix and 32 hex).
PathId = Annotated[str, Path(min_length=1, max_length=64)]
