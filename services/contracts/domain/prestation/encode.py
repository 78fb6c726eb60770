"""Encoding a prestation: its quote, employment contract and DIMONA IN, in one decision."""

from __future__ import annotations

from services.contracts.domain.checks import required_text
from services.contracts.domain.errors import (
    PrestationAlreadyExists,
    UnknownClient,
    UnknownMember,
)
from services.contracts.domain.prestation.commands import (
    EncodePrestation,
)
from services.contracts.domain.prestation.declarations import (
    dimona_in,
)
from services.contracts.domain.prestation.rules import (
    DESCRIPTION_MAX,
    checked_bounds,
    checked_money,
    encoding_terms,
    estimate_of,
    free_use_of,
)
from services.contracts.domain.prestation.state import (
    NoPrestation,
    PrestationState,
)
from shared.events.base import DomainEvent
from shared.events.contracts import (
    EmploymentContractDrawnUp,
    PrestationEncoded,
    QuoteIssued,
)


def encode(command: EncodePrestation, state: PrestationState) -> list[DomainEvent]:
    if not isinstance(state, NoPrestation):
        raise PrestationAlreadyExists(f"prestation {command.prestation_id} already exists")
    member = command.member
    if member is None:
        raise UnknownMember(f"no member {command.member_id}", field="member_id")
    if not command.client_registered:
        raise UnknownClient(f"no client {command.client_id}", field="client_id")
    description = required_text(command.description, "description", max_length=DESCRIPTION_MAX)
    params = command.parameters
    checked_bounds(command.amount_excl_vat_cents, command.expenses, command.limits)
    money = checked_money(
        command.amount_excl_vat_cents,
        command.vat_rate,
        command.withholding_rate,
        command.expenses,
        params,
    )
    terms = encoding_terms(
        command.days,
        command.today,
        command.amount_excl_vat_cents,
        money,
        params,
        command.day_parameters,
    )
    free_use = free_use_of(command, member)
    breakdown = terms.breakdown
    first_day, last_day = terms.days[0].date, terms.days[-1].date
    return [
        *free_use,
        PrestationEncoded(
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            client_id=command.client_id,
            quote_id=command.quote_id,
            contract_id=command.contract_id,
            description=description,
            days=terms.days,
            first_day=first_day,
            last_day=last_day,
            amount_excl_vat_cents=command.amount_excl_vat_cents,
            vat_rate=money.vat_rate,
            vat_cents=breakdown.vat_cents,
            total_cents=breakdown.total_cents,
            expenses=money.expenses,
            expenses_cents=money.expenses_cents,
            withholding_rate=money.withholding_rate,
            encoded_on=command.today,
        ),
        QuoteIssued(
            quote_id=command.quote_id,
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            client_id=command.client_id,
            description=description,
            days=terms.days,
            amount_excl_vat_cents=command.amount_excl_vat_cents,
            vat_rate=money.vat_rate,
            vat_cents=breakdown.vat_cents,
            total_cents=breakdown.total_cents,
            payment_term_days=params.payment_term_days,
            valid_until=first_day,
            acceptance_token_sha256=command.acceptance_token_sha256,
            issued_on=command.today,
        ),
        EmploymentContractDrawnUp(
            contract_id=command.contract_id,
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            niss=member.niss,
            description=description,
            days=terms.contract_days,
            less_than_a_day=terms.less_than_a_day,
            gross_per_day_cents=terms.gross_per_day_cents,
            daily_minimum_cents=params.daily_minimum_cents,
            hourly_minimum=params.hourly_minimum,
            withholding_rate=money.withholding_rate,
            salary_estimate=estimate_of(breakdown),
            drawn_up_on=command.today,
        ),
        dimona_in(
            command.declaration_id,
            command.prestation_id,
            command.contract_id,
            command.member_id,
            command.cooperative,
            member.niss,
            terms,
            command.today,
        ),
    ]
