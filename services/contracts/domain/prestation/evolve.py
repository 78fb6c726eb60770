"""evolve(): a prestation's state from its events."""

from __future__ import annotations

import dataclasses
from typing import Literal

from services.contracts.domain.prestation.state import (
    Accepted,
    Closed,
    ContractFacts,
    Declaration,
    NoPrestation,
    Prestation,
    PrestationState,
    Quoted,
    QuoteFacts,
)
from shared.events.base import DomainEvent
from shared.events.contracts import (
    DimonaAccepted,
    DimonaDeclared,
    DimonaRefused,
    EmploymentContractAmended,
    EmploymentContractDrawnUp,
    PrestationAmended,
    PrestationCancelled,
    PrestationEncoded,
    QuoteAccepted,
    QuoteExpired,
    QuoteIssued,
    QuoteRejected,
)


def _prestation_of(event: PrestationEncoded) -> Prestation:
    return Prestation(
        prestation_id=event.prestation_id,
        member_id=event.member_id,
        client_id=event.client_id,
        quote_id=event.quote_id,
        contract_id=event.contract_id,
        description=event.description,
        days=event.days,
        amount_excl_vat_cents=event.amount_excl_vat_cents,
        vat_rate=event.vat_rate,
        vat_cents=event.vat_cents,
        total_cents=event.total_cents,
        expenses=event.expenses,
        expenses_cents=event.expenses_cents,
        withholding_rate=event.withholding_rate,
        encoded_on=event.encoded_on,
    )


def _contract_of(event: EmploymentContractDrawnUp) -> ContractFacts:
    return ContractFacts(
        contract_id=event.contract_id,
        niss=event.niss,
        days=event.days,
        less_than_a_day=event.less_than_a_day,
        gross_per_day_cents=event.gross_per_day_cents,
        daily_minimum_cents=event.daily_minimum_cents,
        hourly_minimum=event.hourly_minimum,
        salary_estimate=event.salary_estimate,
        drawn_up_on=event.drawn_up_on,
    )


def _amended_contract(contract: ContractFacts, event: EmploymentContractAmended) -> ContractFacts:
    return dataclasses.replace(
        contract,
        days=event.days,
        less_than_a_day=event.less_than_a_day,
        gross_per_day_cents=event.gross_per_day_cents,
        daily_minimum_cents=event.daily_minimum_cents,
        hourly_minimum=event.hourly_minimum,
        salary_estimate=event.salary_estimate,
    )


def _answered(
    declarations: tuple[Declaration, ...],
    declaration_id: str,
    status: Literal["accepted", "refused"],
    period_id: int | None,
) -> tuple[Declaration, ...]:
    return tuple(
        dataclasses.replace(d, status=status, period_id=period_id or d.period_id)
        if d.declaration_id == declaration_id
        else d
        for d in declarations
    )


def _evolve_prestation(prestation: Prestation, event: DomainEvent) -> Prestation:
    match event:
        case QuoteIssued():
            quote = QuoteFacts(
                quote_id=event.quote_id,
                acceptance_token_sha256=event.acceptance_token_sha256,
                payment_term_days=event.payment_term_days,
                issued_on=event.issued_on,
            )
            return dataclasses.replace(prestation, quote=quote)
        case EmploymentContractDrawnUp():
            return dataclasses.replace(prestation, contract=_contract_of(event))
        case EmploymentContractAmended() if prestation.contract is not None:
            return dataclasses.replace(
                prestation, contract=_amended_contract(prestation.contract, event)
            )
        case PrestationAmended():
            return dataclasses.replace(prestation, days=event.days)
        case DimonaDeclared():
            declaration = Declaration(
                event.declaration_id, event.kind, event.refers_to_declaration_id
            )
            return dataclasses.replace(
                prestation, declarations=(*prestation.declarations, declaration)
            )
        case DimonaAccepted():
            declarations = _answered(
                prestation.declarations, event.declaration_id, "accepted", event.period_id
            )
            return dataclasses.replace(prestation, declarations=declarations)
        case DimonaRefused():
            declarations = _answered(prestation.declarations, event.declaration_id, "refused", None)
            return dataclasses.replace(prestation, declarations=declarations)
        case _:
            return prestation


def evolve_prestation(state: PrestationState, event: DomainEvent) -> PrestationState:
    match state, event:
        case NoPrestation(), PrestationEncoded():
            return Quoted(_prestation_of(event))
        case NoPrestation(), _:
            return state
        case Quoted(prestation=prestation), QuoteAccepted():
            return Accepted(prestation, event.accepted_by, event.accepted_on)
        case Quoted(prestation=prestation), QuoteRejected():
            return Closed(prestation, "rejected", event.rejected_on)
        case Quoted(prestation=prestation), QuoteExpired():
            return Closed(prestation, "expired", event.expired_on)
        case Quoted(prestation=prestation) | Accepted(prestation=prestation), PrestationCancelled():
            return Closed(prestation, "cancelled", event.cancelled_on)
        case Quoted() | Accepted() | Closed(), _:
            return dataclasses.replace(
                state, prestation=_evolve_prestation(state.prestation, event)
            )
    return state
