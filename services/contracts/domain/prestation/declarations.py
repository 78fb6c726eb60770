"""The DIMONA declarations a prestation's decisions make: IN, UPDATE, CANCEL."""

from __future__ import annotations

import datetime as dt

from services.contracts import dimona
from services.contracts.domain.prestation.rules import Terms
from services.contracts.domain.prestation.state import Prestation
from shared.events.base import DomainEvent
from shared.events.contracts import (
    DimonaDeclared,
)
from shared.parameters import Cooperative


def dimona_in(
    declaration_id: str,
    prestation_id: str,
    contract_id: str,
    member_id: str,
    cooperative: Cooperative,
    niss: str,
    terms: Terms,
    today: dt.date,
) -> DimonaDeclared:
    hours_per_day = terms.contract_days[0].hours if terms.less_than_a_day else None
    return DimonaDeclared(
        declaration_id=declaration_id,
        prestation_id=prestation_id,
        contract_id=contract_id,
        kind="IN",
        refers_to_declaration_id=None,
        hours_per_day=hours_per_day,
        payload=dimona.dimona_in(
            cooperative,
            niss,
            terms.days[0].date,
            terms.days[-1].date,
            _planned_hours(terms),
        ),
        declared_on=today,
        member_id=member_id,
    )


def _planned_hours(terms: Terms) -> int | None:
    if not terms.less_than_a_day:
        return None
    return dimona.planned_hours_number([day.hours for day in terms.contract_days])


def dimona_change(
    prestation: Prestation,
    declaration_id: str,
    cooperative: Cooperative,
    terms: Terms,
    today: dt.date,
) -> DimonaDeclared:
    """An UPDATE of the current IN; a new IN when there is none standing (it was refused)."""
    current = prestation.current_in
    if current is None or current.status == "refused":
        return dimona_in(
            declaration_id,
            prestation.prestation_id,
            prestation.contract_id,
            prestation.member_id,
            cooperative,
            prestation.niss,
            terms,
            today,
        )
    return DimonaDeclared(
        declaration_id=declaration_id,
        prestation_id=prestation.prestation_id,
        contract_id=prestation.contract_id,
        kind="UPDATE",
        refers_to_declaration_id=current.declaration_id,
        hours_per_day=terms.contract_days[0].hours if terms.less_than_a_day else None,
        payload=dimona.dimona_update(
            current.period_id, terms.days[0].date, terms.days[-1].date, _planned_hours(terms)
        ),
        declared_on=today,
        member_id=prestation.member_id,
    )


def dimona_cancel(prestation: Prestation, declaration_id: str, today: dt.date) -> list[DomainEvent]:
    """A CANCEL of the current IN, unless the ONSS refused it (nothing was declared then)."""
    current = prestation.current_in
    if current is None or current.status == "refused":
        return []
    return [
        DimonaDeclared(
            declaration_id=declaration_id,
            prestation_id=prestation.prestation_id,
            contract_id=prestation.contract_id,
            kind="CANCEL",
            refers_to_declaration_id=current.declaration_id,
            hours_per_day=None,
            payload=dimona.dimona_cancel(current.period_id),
            declared_on=today,
            member_id=prestation.member_id,
        )
    ]
