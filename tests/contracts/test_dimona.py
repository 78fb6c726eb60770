"""The DIMONA REST bodies built from the contract facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.contracts import dimona
from shared.parameters import cooperative

COOPERATIVE = cooperative()
FIRST_DAY = date(2026, 3, 10)
LAST_DAY = date(2026, 3, 11)


def test_an_in_declares_employer_worker_period_and_features() -> None:
    assert dimona.dimona_in(COOPERATIVE, "85073003328", FIRST_DAY, LAST_DAY, None) == {
        "employer": {"employerId": 503721864, "enterpriseNumber": "0123456749"},
        "worker": {"ssin": "85073003328"},
        "dimonaIn": {
            "startDate": "2026-03-10",
            "endDate": "2026-03-11",
            "features": {"jointCommissionNumber": "322", "workerType": "OTH"},
        },
    }


def test_an_in_for_less_than_a_day_carries_the_planned_hours() -> None:
    payload = dimona.dimona_in(COOPERATIVE, "85073003328", FIRST_DAY, FIRST_DAY, 8)
    assert payload["dimonaIn"]["plannedHoursNumber"] == 8


def test_planned_hours_are_the_period_total_rounded_up() -> None:
    assert dimona.planned_hours_number([Decimal("7.48")]) == 8
    assert dimona.planned_hours_number([Decimal("7.48"), Decimal("7.48")]) == 15
    assert dimona.planned_hours_number([Decimal("3.00"), Decimal("4.00")]) == 7


def test_an_update_names_the_period_and_its_new_dates() -> None:
    assert dimona.dimona_update(777, FIRST_DAY, LAST_DAY, None) == {
        "dimonaUpdate": {"periodId": 777, "startDate": "2026-03-10", "endDate": "2026-03-11"}
    }
    assert dimona.dimona_update(777, FIRST_DAY, FIRST_DAY, 4)["dimonaUpdate"] == {
        "periodId": 777,
        "startDate": "2026-03-10",
        "endDate": "2026-03-10",
        "plannedHoursNumber": 4,
    }


def test_a_cancel_names_the_period() -> None:
    assert dimona.dimona_cancel(777) == {"dimonaCancel": {"periodId": 777}}


def test_the_period_is_added_once_the_in_is_accepted() -> None:
    pending = dimona.dimona_cancel(None)
    assert pending == {"dimonaCancel": {}}
    assert dimona.with_period_id(pending, 777) == {"dimonaCancel": {"periodId": 777}}
    assert pending == {"dimonaCancel": {}}  # a new dict: the recorded payload stays as it was
    update = dimona.dimona_update(None, FIRST_DAY, LAST_DAY, None)
    assert dimona.with_period_id(update, 9) == dimona.dimona_update(9, FIRST_DAY, LAST_DAY, None)


def test_an_in_has_no_period_to_name() -> None:
    payload = dimona.dimona_in(COOPERATIVE, "85073003328", FIRST_DAY, LAST_DAY, None)
    with pytest.raises(ValueError, match="UPDATE or CANCEL"):
        dimona.with_period_id(payload, 1)
