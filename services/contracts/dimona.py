"""Pure builders of the DIMONA declarations, as the ONSS REST service expects them.

The bodies mirror `POST https://services.socialsecurity.be/REST/dimona/v1/declarations`
(socialsecurity.be "Dimona REST webservice" documentation, and the open-source clients that call
it). An IN carries an `employer` (`employerId`: the ONSS registration number,
`enterpriseNumber`), a `worker` (`ssin`: the NISS) and `dimonaIn` (`startDate`, `endDate`,
`features` {`jointCommissionNumber`, `workerType`}, `plannedHoursNumber`). An UPDATE
(`dimonaUpdate`) or a CANCEL (`dimonaCancel`) names the ONSS `periodId` of the IN it changes.
Dates are ISO strings. Some intermediaries' APIs call the dates StartingDate/EndingDate; the
ONSS REST names are used here.

Choices: one declaration covers the prestation from its first to its last day (worker type
OTH). `plannedHoursNumber` is a whole number (as the existing clients send it), so for a
contract of less than a day it carries the total contract hours of the period rounded up to the
hour; the exact hours per day travel beside the payload, on the DimonaDeclared event.

The ONSS answers asynchronously (POST, then GET the result: A accepted, W accepted with
warnings, B refused, S waiting); the adapter turns the answer into DimonaAccepted/DimonaRefused.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from shared.parameters import Cooperative


def planned_hours_number(hours_per_day: Sequence[Decimal]) -> int:
    """Total planned hours of the period, rounded up to a whole hour (the REST field is an int)."""
    return math.ceil(sum(hours_per_day, Decimal(0)))


def _period(first_day: dt.date, last_day: dt.date, planned_hours: int | None) -> dict[str, Any]:
    period: dict[str, Any] = {"startDate": first_day.isoformat(), "endDate": last_day.isoformat()}
    if planned_hours is not None:
        period["plannedHoursNumber"] = planned_hours
    return period


def dimona_in(
    employer: Cooperative,
    niss: str,
    first_day: dt.date,
    last_day: dt.date,
    planned_hours: int | None,
) -> dict[str, Any]:
    """Declaration of employment from `first_day` to `last_day`; `planned_hours` only for a
    contract of less than a day."""
    return {
        "employer": {
            "employerId": int(employer.onss_employer_id),
            "enterpriseNumber": employer.enterprise_number,
        },
        "worker": {"ssin": niss},
        "dimonaIn": {
            **_period(first_day, last_day, planned_hours),
            "features": {
                "jointCommissionNumber": employer.joint_commission_number,
                "workerType": employer.dimona_worker_type,
            },
        },
    }


def dimona_update(
    period_id: int | None, first_day: dt.date, last_day: dt.date, planned_hours: int | None
) -> dict[str, Any]:
    """New dates (and hours) of a declared period. `period_id` None: not known yet."""
    return with_period_id({"dimonaUpdate": _period(first_day, last_day, planned_hours)}, period_id)


def dimona_cancel(period_id: int | None) -> dict[str, Any]:
    """Cancellation of a declared period that has not started. `period_id` None: not known yet."""
    return with_period_id({"dimonaCancel": {}}, period_id)


def with_period_id(payload: dict[str, Any], period_id: int | None) -> dict[str, Any]:
    """An UPDATE or CANCEL payload naming `period_id` (the adapter calls it when the IN's period
    becomes known after the declaration was built). Returns a new dict."""
    if set(payload) not in ({"dimonaUpdate"}, {"dimonaCancel"}):
        raise ValueError("only an UPDATE or CANCEL payload names a period")
    ((kind, body),) = payload.items()
    rest = {key: value for key, value in body.items() if key != "periodId"}
    return {kind: rest if period_id is None else {"periodId": period_id, **rest}}
