"""Working days (salary deadlines) and TARGET2 business days (when transfers execute).

A working day (jour ouvrable) is Monday to Saturday by the legal convention, or Monday to
Friday when configured, minus Belgian public holidays. TARGET2 is closed on weekends and on
its own six holidays. Holiday sets come from the `holidays` package, cached per year.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

Convention = Literal["mon-sat", "mon-fri"]
_LAST_WEEKDAY: dict[Convention, int] = {"mon-sat": 5, "mon-fri": 4}  # date.weekday(): Mon = 0
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def belgian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year))


@lru_cache(maxsize=64)
def target2_holidays(year: int) -> frozenset[date]:
    # XECB: New Year, Good Friday, Easter Monday, 1 May, 25 and 26 December.
    return frozenset(holidays.financial_holidays("XECB", years=year))


class WorkingDayCalendar:
    def __init__(self, convention: Convention = "mon-sat") -> None:
        if convention not in _LAST_WEEKDAY:
            raise ValueError(f"unknown working-day convention {convention!r}")
        self.convention = convention
        self._last_weekday = _LAST_WEEKDAY[convention]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() <= self._last_weekday and day not in belgian_holidays(day.year)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (n ≥ 1)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day = start
        while n:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day


class Target2Calendar:
    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in target2_holidays(day.year)

    def last_business_day_not_after(self, day: date) -> date:
        while not self.is_business_day(day):
            day -= _ONE_DAY
        return day

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        day += _ONE_DAY
        while not self.is_business_day(day):
            day += _ONE_DAY
        return day
