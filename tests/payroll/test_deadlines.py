"""Real dates: the 7th working day after the last day worked, paid on the last TARGET2
business day not after it (DOMAIN.md §3). Each case is counted by hand in its comment."""

from __future__ import annotations

import datetime as dt

import pytest

from services.payroll.domain.salary import deadline_and_pay_day
from tests.payroll.builders import rules

D = dt.date

CASES = [
    # Thu 30 Apr 2026: Fri 1 May is a holiday; Sat 2, Mon 4 … Sat 9 is the 7th; TARGET2 Fri 8.
    (D(2026, 4, 30), D(2026, 5, 9), D(2026, 5, 8)),
    # Easter 2026: Good Friday 3 Apr is a working day, Easter Monday 6 Apr is not.
    (D(2026, 4, 2), D(2026, 4, 11), D(2026, 4, 10)),
    # Ascension Thu 14 May 2026.
    (D(2026, 5, 11), D(2026, 5, 20), D(2026, 5, 20)),
    # Whit Monday 25 May 2026.
    (D(2026, 5, 19), D(2026, 5, 28), D(2026, 5, 28)),
    # National day Tue 21 July 2026.
    (D(2026, 7, 13), D(2026, 7, 22), D(2026, 7, 22)),
    # Assumption Sat 15 Aug 2026: a Saturday that is not a working day.
    (D(2026, 8, 10), D(2026, 8, 19), D(2026, 8, 19)),
    # All Saints Sun 1 Nov 2026 changes nothing; Sat 7 Nov → TARGET2 Fri 6.
    (D(2026, 10, 30), D(2026, 11, 7), D(2026, 11, 6)),
    # Armistice Wed 11 Nov 2026.
    (D(2026, 11, 9), D(2026, 11, 18), D(2026, 11, 18)),
    # Christmas Fri 25 Dec 2026 (26 Dec is a working day in Belgium, closed for TARGET2).
    (D(2026, 12, 18), D(2026, 12, 28), D(2026, 12, 28)),
    (D(2026, 12, 17), D(2026, 12, 26), D(2026, 12, 24)),
    (D(2026, 12, 22), D(2026, 12, 31), D(2026, 12, 31)),
    # Easter 2027: Easter Monday 29 Mar; deadline Sat 3 Apr → TARGET2 Fri 2 Apr.
    (D(2027, 3, 25), D(2027, 4, 3), D(2027, 4, 2)),
    # Deadline Sat 27 Mar 2027: Good Friday 26 is a TARGET2 closing day → Thu 25.
    (D(2027, 3, 19), D(2027, 3, 27), D(2027, 3, 25)),
    # Ascension Thu 6 May 2027, Whit Monday 17 May 2027.
    (D(2027, 5, 3), D(2027, 5, 12), D(2027, 5, 12)),
    (D(2027, 5, 11), D(2027, 5, 20), D(2027, 5, 20)),
    # National day Wed 21 July 2027.
    (D(2027, 7, 13), D(2027, 7, 22), D(2027, 7, 22)),
    # Assumption Sun 15 Aug 2027 (no substitute day).
    (D(2027, 8, 9), D(2027, 8, 17), D(2027, 8, 17)),
    # All Saints Mon 1 Nov 2027 → Sat 6 Nov → TARGET2 Fri 5; Armistice Thu 11 Nov 2027.
    (D(2027, 10, 28), D(2027, 11, 6), D(2027, 11, 5)),
    (D(2027, 11, 8), D(2027, 11, 17), D(2027, 11, 17)),
    # Christmas Sat 25 Dec 2027.
    (D(2027, 12, 17), D(2027, 12, 27), D(2027, 12, 27)),
    # Work ending on a Saturday (6 June 2026).
    (D(2026, 6, 6), D(2026, 6, 15), D(2026, 6, 15)),
    # Work ending on a holiday: 1 May 2026, Whit Monday 25 May 2026.
    (D(2026, 5, 1), D(2026, 5, 9), D(2026, 5, 8)),
    (D(2026, 5, 25), D(2026, 6, 2), D(2026, 6, 2)),
]


@pytest.mark.parametrize(("last_day", "deadline", "pay_on"), CASES)
def test_deadline_and_pay_day(last_day: dt.date, deadline: dt.date, pay_on: dt.date) -> None:
    assert deadline_and_pay_day(last_day, rules(last_day, last_day)) == (deadline, pay_on)


def test_the_monday_to_friday_convention_is_configuration() -> None:
    # Mon 4 … Fri 8, Mon 11, Tue 12 May 2026.
    found = deadline_and_pay_day(D(2026, 4, 30), rules(D(2026, 4, 30), D(2026, 4, 30), "mon-fri"))
    assert found == (D(2026, 5, 12), D(2026, 5, 12))


def test_never_paid_after_the_deadline_nor_before_the_work_ends() -> None:
    day = D(2026, 1, 1)
    while day < D(2028, 1, 1):
        deadline, pay_on = deadline_and_pay_day(day, rules(day, day))
        assert day < pay_on <= deadline
        assert pay_on.weekday() < 5
        day += dt.timedelta(days=1)
