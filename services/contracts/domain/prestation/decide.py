"""decide(): one small function per prestation command."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from typing import Literal, assert_never

from services.contracts.domain.checks import REASON_MAX, optional_text
from services.contracts.domain.errors import (
    AlreadyStarted,
    DeclarationNotFound,
    DimonaAlreadyAnswered,
    InvalidAcceptanceToken,
    PrestationClosed,
    PrestationNotFound,
    QuoteNoLongerValid,
    QuoteNotFound,
    QuoteNotPending,
    QuoteStillValid,
)
from services.contracts.domain.prestation.commands import (
    AcceptQuote,
    AmendPrestation,
    CancelPrestation,
    EncodePrestation,
    ExpenseLine,
    ExpireQuote,
    PrestationCommand,
    RecordDimonaAnswer,
    RejectQuote,
)
from services.contracts.domain.prestation.declarations import (
    dimona_cancel,
    dimona_change,
)
from services.contracts.domain.prestation.encode import encode
from services.contracts.domain.prestation.rules import (
    checked_money,
    encoding_terms,
    estimate_of,
)
from services.contracts.domain.prestation.state import (
    Accepted,
    Closed,
    NoPrestation,
    Prestation,
    PrestationState,
    Quoted,
)
from shared.events.base import DomainEvent
from shared.events.contracts import (
    Actor,
    DimonaAccepted,
    DimonaRefused,
    EmploymentContractAmended,
    EmploymentContractCancelled,
    FreePrestationReturned,
    FreePrestationUsed,
    PrestationAmended,
    PrestationCancelled,
    QuoteAccepted,
    QuoteExpired,
    QuoteRejected,
)

# These events of a prestation's decisions go to the member stream, appended atomically with
# the prestation's and expecting the member version the decision read.
MEMBER_STREAM_EVENTS: tuple[type[DomainEvent], ...] = (FreePrestationUsed, FreePrestationReturned)


def _existing(state: PrestationState, prestation_id: str) -> Prestation:
    if isinstance(state, NoPrestation):
        raise PrestationNotFound(f"no prestation {prestation_id}")
    return state.prestation


def _check_quote(
    prestation: Prestation, quote_id: str, actor: Actor, presented_token_sha256: str | None
) -> None:
    """The quote is this prestation's, and a client presents the token it was given."""
    if quote_id != prestation.quote_id:
        raise QuoteNotFound(f"no quote {quote_id} for prestation {prestation.prestation_id}")
    if actor != "client":
        return
    expected = prestation.quote.acceptance_token_sha256 if prestation.quote else ""
    presented = presented_token_sha256 or ""
    # Constant time, so response timing does not reveal how much of a guess was right.
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise InvalidAcceptanceToken("this acceptance token does not open this quote")


def _pending(state: PrestationState, prestation: Prestation) -> None:
    if not isinstance(state, Quoted):
        raise QuoteNotPending(
            f"the quote of prestation {prestation.prestation_id} is {state.status}"
        )


def _accept(command: AcceptQuote, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    _check_quote(prestation, command.quote_id, command.accepted_by, command.presented_token_sha256)
    _pending(state, prestation)
    if command.today > prestation.quote_valid_until:
        raise QuoteNoLongerValid(
            f"the quote had to be accepted by {prestation.quote_valid_until}, the first day"
        )
    return [
        QuoteAccepted(
            quote_id=prestation.quote_id,
            prestation_id=prestation.prestation_id,
            contract_id=prestation.contract_id,
            member_id=prestation.member_id,
            client_id=prestation.client_id,
            accepted_by=command.accepted_by,
            accepted_on=command.today,
            description=prestation.description,
            days=prestation.days,
            first_day=prestation.first_day,
            last_day=prestation.last_day,
            amount_excl_vat_cents=prestation.amount_excl_vat_cents,
            vat_rate=prestation.vat_rate,
            vat_cents=prestation.vat_cents,
            total_cents=prestation.total_cents,
            expenses=prestation.expenses,
            expenses_cents=prestation.expenses_cents,
            withholding_rate=prestation.withholding_rate,
            payment_term_days=prestation.quote.payment_term_days if prestation.quote else 0,
        )
    ]


def _contract_cancelled(
    prestation: Prestation,
    reason: Literal["quote-rejected", "quote-expired", "prestation-cancelled"],
    today: dt.date,
) -> EmploymentContractCancelled:
    return EmploymentContractCancelled(
        contract_id=prestation.contract_id,
        prestation_id=prestation.prestation_id,
        reason=reason,
        cancelled_on=today,
    )


def _free_use_returned(
    prestation: Prestation,
    year: int | None,
    reason: Literal["prestation-cancelled", "quote-rejected", "quote-expired"],
    today: dt.date,
) -> list[DomainEvent]:
    """The work will not happen: the free use it took, if any, is the member's again."""
    if year is None:
        return []
    return [
        FreePrestationReturned(
            member_id=prestation.member_id,
            prestation_id=prestation.prestation_id,
            year=year,
            reason=reason,
            returned_on=today,
        )
    ]


def _reject(command: RejectQuote, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    _check_quote(prestation, command.quote_id, command.rejected_by, command.presented_token_sha256)
    _pending(state, prestation)
    return [
        QuoteRejected(
            quote_id=prestation.quote_id,
            prestation_id=prestation.prestation_id,
            rejected_by=command.rejected_by,
            reason=optional_text(command.reason, "reason", max_length=REASON_MAX),
            rejected_on=command.today,
        ),
        _contract_cancelled(prestation, "quote-rejected", command.today),
        *dimona_cancel(prestation, command.declaration_id, command.today),
        *_free_use_returned(prestation, command.free_use_year, "quote-rejected", command.today),
    ]


def _expire(command: ExpireQuote, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    if not isinstance(state, Quoted):
        return []
    if command.today <= prestation.quote_valid_until:
        raise QuoteStillValid(f"the quote can be accepted until {prestation.quote_valid_until}")
    return [
        QuoteExpired(
            quote_id=prestation.quote_id,
            prestation_id=prestation.prestation_id,
            expired_on=command.today,
        ),
        _contract_cancelled(prestation, "quote-expired", command.today),
        *dimona_cancel(prestation, command.declaration_id, command.today),
        *_free_use_returned(prestation, command.free_use_year, "quote-expired", command.today),
    ]


def _before_start(state: PrestationState, prestation: Prestation, today: dt.date) -> None:
    if isinstance(state, Closed):
        raise PrestationClosed(f"prestation {prestation.prestation_id} is {state.outcome}")
    if today >= prestation.first_day:
        raise AlreadyStarted(
            f"prestation {prestation.prestation_id} started on {prestation.first_day}"
        )


def _cancel(command: CancelPrestation, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    _before_start(state, prestation, command.today)
    return [
        PrestationCancelled(
            prestation_id=prestation.prestation_id,
            member_id=prestation.member_id,
            client_id=prestation.client_id,
            quote_id=prestation.quote_id,
            was_accepted=isinstance(state, Accepted),
            cancelled_by=command.cancelled_by,
            reason=optional_text(command.reason, "reason", max_length=REASON_MAX),
            cancelled_on=command.today,
        ),
        _contract_cancelled(prestation, "prestation-cancelled", command.today),
        *dimona_cancel(prestation, command.declaration_id, command.today),
        *_free_use_returned(
            prestation, command.free_use_year, "prestation-cancelled", command.today
        ),
    ]


def _amend(command: AmendPrestation, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    _before_start(state, prestation, command.today)
    params = command.parameters
    expenses = [ExpenseLine(e.description, e.amount_cents) for e in prestation.expenses]
    money = checked_money(
        prestation.amount_excl_vat_cents,
        prestation.vat_rate,
        prestation.withholding_rate,
        expenses,
        params,
    )
    terms = encoding_terms(
        command.days,
        command.today,
        prestation.amount_excl_vat_cents,
        money,
        params,
        command.day_parameters,
    )
    if terms.days == prestation.days:
        return []
    return [
        PrestationAmended(
            prestation_id=prestation.prestation_id,
            member_id=prestation.member_id,
            client_id=prestation.client_id,
            days=terms.days,
            first_day=terms.days[0].date,
            last_day=terms.days[-1].date,
            amended_on=command.today,
        ),
        EmploymentContractAmended(
            contract_id=prestation.contract_id,
            prestation_id=prestation.prestation_id,
            days=terms.contract_days,
            less_than_a_day=terms.less_than_a_day,
            gross_per_day_cents=terms.gross_per_day_cents,
            daily_minimum_cents=params.daily_minimum_cents,
            hourly_minimum=params.hourly_minimum,
            salary_estimate=estimate_of(terms.breakdown),
            amended_on=command.today,
        ),
        dimona_change(
            prestation, command.declaration_id, command.cooperative, terms, command.today
        ),
    ]


def _record_dimona_answer(command: RecordDimonaAnswer, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    declaration = next(
        (d for d in prestation.declarations if d.declaration_id == command.declaration_id), None
    )
    if declaration is None:
        raise DeclarationNotFound(f"no DIMONA declaration {command.declaration_id}")
    match command.result:
        case "B":
            outcome: DimonaAccepted | DimonaRefused = DimonaRefused(
                declaration_id=declaration.declaration_id,
                prestation_id=prestation.prestation_id,
                anomalies=command.anomalies,
                answered_on=command.answered_on,
            )
            status = "refused"
        case "A" | "W":
            outcome = DimonaAccepted(
                declaration_id=declaration.declaration_id,
                prestation_id=prestation.prestation_id,
                result=command.result,
                period_id=command.period_id,
                anomalies=command.anomalies,
                answered_on=command.answered_on,
            )
            status = "accepted"
        case _:
            assert_never(command.result)
    if declaration.status == status:
        return []
    if declaration.status != "pending":
        raise DimonaAlreadyAnswered(
            f"DIMONA declaration {declaration.declaration_id} was already {declaration.status}"
        )
    return [outcome]


def decide_prestation(command: PrestationCommand, state: PrestationState) -> Sequence[DomainEvent]:
    match command:
        case EncodePrestation():
            return encode(command, state)
        case AcceptQuote():
            return _accept(command, state)
        case RejectQuote():
            return _reject(command, state)
        case ExpireQuote():
            return _expire(command, state)
        case CancelPrestation():
            return _cancel(command, state)
        case AmendPrestation():
            return _amend(command, state)
        case RecordDimonaAnswer():
            return _record_dimona_answer(command, state)
        case _:
            assert_never(command)
