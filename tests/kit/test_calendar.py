from datetime import date, timedelta

import pytest

from shared.calendar import Target2Calendar, WorkingDayCalendar

MON_SAT = WorkingDayCalendar("mon-sat")
MON_FRI = WorkingDayCalendar("mon-fri")
TARGET2 = Target2Calendar()

BELGIAN_HOLIDAYS_2026 = [
    date(2026, 1, 1),
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 1),
    date(2026, 5, 14),  # Ascension
    date(2026, 5, 25),  # Whit Monday
    date(2026, 7, 21),
    date(2026, 8, 15),  # a Saturday in 2026
    date(2026, 11, 11),
    date(2026, 12, 25),
]


@pytest.mark.parametrize("day", BELGIAN_HOLIDAYS_2026)
def test_belgian_public_holidays_are_not_working_days(day: date) -> None:
    assert not MON_SAT.is_working_day(day)
    assert not MON_FRI.is_working_day(day)


def test_sundays_never_work_and_saturdays_depend_on_the_convention() -> None:
    assert not MON_SAT.is_working_day(date(2026, 11, 1))  # All Saints' Day, a Sunday
    assert not MON_SAT.is_working_day(date(2026, 3, 8))
    assert MON_SAT.is_working_day(date(2026, 3, 7))
    assert not MON_FRI.is_working_day(date(2026, 3, 7))
    assert MON_SAT.is_working_day(date(2026, 12, 26))  # a holiday for TARGET2, not in Belgium


def test_seventh_working_day_after_a_friday() -> None:
    assert MON_SAT.add_working_days(date(2026, 3, 6), 7) == date(2026, 3, 14)
    assert MON_FRI.add_working_days(date(2026, 3, 6), 7) == date(2026, 3, 17)


def test_counting_skips_holidays() -> None:
    # Thursday 2 April 2026: Sat 4, (Sun 5, Easter Monday 6 skipped), Tue 7 …
    assert MON_SAT.add_working_days(date(2026, 4, 2), 3) == date(2026, 4, 7)
    assert MON_SAT.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 2)


def test_the_first_working_day_is_strictly_after_the_start() -> None:
    assert MON_SAT.add_working_days(date(2026, 3, 9), 1) == date(2026, 3, 10)
    with pytest.raises(ValueError):
        MON_SAT.add_working_days(date(2026, 3, 9), 0)


def test_unknown_convention_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingDayCalendar("sun-thu")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "closed",
    [
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 3, 7),
        date(2026, 3, 8),
    ],
)
def test_target2_closing_days(closed: date) -> None:
    assert not TARGET2.is_business_day(closed)


def test_target2_opens_on_belgian_holidays() -> None:
    assert TARGET2.is_business_day(date(2026, 5, 14))  # Ascension
    assert TARGET2.is_business_day(date(2026, 7, 21))


def test_target2_last_business_day_not_after() -> None:
    assert TARGET2.last_business_day_not_after(date(2026, 3, 14)) == date(2026, 3, 13)
    assert TARGET2.last_business_day_not_after(date(2026, 3, 13)) == date(2026, 3, 13)
    # Easter Monday, then Sunday, Saturday and Good Friday are all closed.
    assert TARGET2.last_business_day_not_after(date(2026, 4, 6)) == date(2026, 4, 2)


def test_target2_next_business_day() -> None:
    assert TARGET2.next_business_day(date(2026, 4, 2)) == date(2026, 4, 7)
    assert TARGET2.next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert TARGET2.next_business_day(date(2026, 3, 9)) == date(2026, 3, 10)


def test_a_year_of_days_agrees_with_the_weekday_rule() -> None:
    day = date(2027, 1, 1)
    while day.year == 2027:
        if day.weekday() == 6:
            assert not MON_SAT.is_working_day(day)
        if day.weekday() >= 5:
            assert not TARGET2.is_business_day(day)
        day += timedelta(days=1)
