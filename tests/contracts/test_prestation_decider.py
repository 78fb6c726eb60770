"""The prestation decider, given/when/then, grouped by the state the prestation is in."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from services.contracts.domain import (
    Accepted,
    AcceptQuote,
    AlreadyStarted,
    AmendPrestation,
    BelowMinimumWage,
    BudgetTooLow,
    CancelPrestation,
    Closed,
    Day,
    DeclarationNotFound,
    DimonaAlreadyAnswered,
    EncodePrestation,
    ExpenseLine,
    ExpireQuote,
    InvalidAcceptanceToken,
    InvalidAmount,
    InvalidDays,
    InvalidDetails,
    InvalidVatRate,
    InvalidWithholdingRate,
    MemberFacts,
    MinimumHours,
    NoPrestation,
    PrestationAlreadyExists,
    PrestationClosed,
    PrestationCommand,
    PrestationNotFound,
    PrestationState,
    Quoted,
    QuoteNoLongerValid,
    QuoteNotFound,
    QuoteNotPending,
    QuoteStillValid,
    RecordDimonaAnswer,
    RejectQuote,
    ShareRequired,
    StartInPast,
    UnknownClient,
    UnknownMember,
    hash_acceptance_token,
    prestation_decider,
)
from shared.decider import DomainError, Spec
from shared.events.base import DomainEvent, registered_events
from shared.events.contracts import (
    DimonaAccepted,
    DimonaDeclared,
    DimonaRefused,
    EmploymentContractAmended,
    EmploymentContractCancelled,
    EmploymentContractDrawnUp,
    Expense,
    FreePrestationReturned,
    FreePrestationUsed,
    PrestationAmended,
    PrestationCancelled,
    PrestationEncoded,
    QuoteAccepted,
    QuoteExpired,
    QuoteIssued,
    QuoteRejected,
    SalaryEstimate,
    WorkDay,
)
from shared.parameters import cooperative, parameters_on
from shared.salary import salary_breakdown

TODAY = date(2026, 3, 2)
FIRST_DAY = date(2026, 3, 10)
SECOND_DAY = date(2026, 3, 11)
# DOMAIN.md §2's examples use the 2025 minimum wage (from 2026-01-01 it is higher, and 150 euros
# make 7.33 hours): the decider takes whatever parameters its command carries.
PARAMS = parameters_on(date(2025, 12, 31))
COOPERATIVE = cooperative()
NISS = "85073003328"
TOKEN = "s3cret-acceptance-token"
TOKEN_SHA256 = hash_acceptance_token(TOKEN)
EMPLOYER = {"employerId": 503721864, "enterpriseNumber": "0123456749"}
FEATURES = {"jointCommissionNumber": "322", "workerType": "OTH"}
# What an encoding produces, in order (a member without a share first uses a free prestation).
ENCODING = (PrestationEncoded, QuoteIssued, EmploymentContractDrawnUp, DimonaDeclared)
# What new days produce, in order.
AMENDMENT = (PrestationAmended, EmploymentContractAmended, DimonaDeclared)

WORKED_EXAMPLE = EncodePrestation(
    prestation_id="p1",
    quote_id="q1",
    contract_id="c1",
    declaration_id="d1",
    acceptance_token_sha256=TOKEN_SHA256,
    today=TODAY,
    member_id="m1",
    member=MemberFacts(niss=NISS, has_share_this_year=True, free_prestations_used_this_year=0),
    client_id="cl1",
    client_registered=True,
    description="Two concerts",
    days=(Day(FIRST_DAY, Decimal("8")), Day(SECOND_DAY, Decimal("8"))),
    amount_excl_vat_cents=100000,
    vat_rate="21",
    withholding_rate="22",
    parameters=PARAMS,
    cooperative=COOPERATIVE,
)


def encode(**changes: object) -> EncodePrestation:
    """The worked example of DOMAIN.md §2, with some fields changed."""
    return dataclasses.replace(WORKED_EXAMPLE, **changes)  # type: ignore[arg-type]


def one_day(amount_excl_vat_cents: int, hours: str = "8") -> EncodePrestation:
    return encode(
        days=(Day(FIRST_DAY, Decimal(hours)),), amount_excl_vat_cents=amount_excl_vat_cents
    )


def encoded(command: EncodePrestation = WORKED_EXAMPLE) -> list[DomainEvent]:
    """The prestation stream's events after `command` (FreePrestationUsed goes elsewhere)."""
    events = prestation_decider.decide(command, NoPrestation())
    return [e for e in events if not isinstance(e, FreePrestationUsed)]


def spec() -> Spec[PrestationCommand, PrestationState]:
    return Spec(prestation_decider)


def days(*pairs: tuple[date, str]) -> tuple[WorkDay, ...]:
    return tuple(WorkDay(date=day, hours=Decimal(hours)) for day, hours in pairs)


def accept(**changes: object) -> AcceptQuote:
    command = AcceptQuote(
        prestation_id="p1",
        quote_id="q1",
        accepted_by="client",
        today=TODAY,
        presented_token_sha256=TOKEN_SHA256,
    )
    return dataclasses.replace(command, **changes)  # type: ignore[arg-type]


def reject(**changes: object) -> RejectQuote:
    command = RejectQuote(
        prestation_id="p1",
        quote_id="q1",
        rejected_by="client",
        today=TODAY,
        declaration_id="d2",
        presented_token_sha256=TOKEN_SHA256,
        reason="Date moved",
    )
    return dataclasses.replace(command, **changes)  # type: ignore[arg-type]


def expire(today: date = SECOND_DAY) -> ExpireQuote:
    return ExpireQuote(prestation_id="p1", today=today, declaration_id="d2")


def cancel(today: date = TODAY) -> CancelPrestation:
    return CancelPrestation(
        prestation_id="p1", today=today, declaration_id="d2", cancelled_by="m1", reason="Ill"
    )


def amend(*new_days: Day, today: date = TODAY) -> AmendPrestation:
    return AmendPrestation(
        prestation_id="p1",
        days=new_days,
        today=today,
        declaration_id="d2",
        parameters=PARAMS,
        cooperative=COOPERATIVE,
    )


def answer(
    result: str = "A", declaration_id: str = "d1", period_id: int | None = 777
) -> RecordDimonaAnswer:
    return RecordDimonaAnswer(
        prestation_id="p1",
        declaration_id=declaration_id,
        result=result,  # type: ignore[arg-type]
        answered_on=TODAY,
        period_id=period_id if result != "B" else None,
        anomalies=("00911-083",) if result == "B" else (),
    )


DIMONA_IN_ACCEPTED = DimonaAccepted(
    declaration_id="d1", prestation_id="p1", result="A", period_id=777, answered_on=TODAY
)
DIMONA_IN_REFUSED = DimonaRefused(
    declaration_id="d1", prestation_id="p1", anomalies=("00911-083",), answered_on=TODAY
)
QUOTE_ACCEPTED = QuoteAccepted(
    quote_id="q1",
    prestation_id="p1",
    contract_id="c1",
    member_id="m1",
    client_id="cl1",
    accepted_by="client",
    accepted_on=TODAY,
    description="Two concerts",
    days=days((FIRST_DAY, "8"), (SECOND_DAY, "8")),
    first_day=FIRST_DAY,
    last_day=SECOND_DAY,
    amount_excl_vat_cents=100000,
    vat_rate="21",
    vat_cents=21000,
    total_cents=121000,
    expenses=(),
    expenses_cents=0,
    withholding_rate="22",
    payment_term_days=10,
)


def cancel_declaration(period_id: int | None) -> DimonaDeclared:
    body = {} if period_id is None else {"periodId": period_id}
    return DimonaDeclared(
        declaration_id="d2",
        prestation_id="p1",
        contract_id="c1",
        kind="CANCEL",
        refers_to_declaration_id="d1",
        hours_per_day=None,
        payload={"dimonaCancel": body},
        declared_on=TODAY,
        member_id="m1",
    )


def contract_cancelled(reason: str, on: date = TODAY) -> EmploymentContractCancelled:
    return EmploymentContractCancelled(
        contract_id="c1",
        prestation_id="p1",
        reason=reason,
        cancelled_on=on,
    )


def raises_with_field(
    outcome: DomainError, code: str, field: str | None, status: int = 422
) -> None:
    assert (outcome.code, outcome.field, outcome.status) == (code, field, status)


class TestNoPrestationYet:
    def test_the_worked_example_yields_the_quote_the_contract_and_the_dimona(self) -> None:
        encoded_days = days((FIRST_DAY, "8.00"), (SECOND_DAY, "8.00"))
        spec().given().when(WORKED_EXAMPLE).then(
            PrestationEncoded(
                prestation_id="p1",
                member_id="m1",
                client_id="cl1",
                quote_id="q1",
                contract_id="c1",
                description="Two concerts",
                days=encoded_days,
                first_day=FIRST_DAY,
                last_day=SECOND_DAY,
                amount_excl_vat_cents=100000,
                vat_rate="21",
                vat_cents=21000,
                total_cents=121000,
                expenses=(),
                expenses_cents=0,
                withholding_rate="22",
                encoded_on=TODAY,
            ),
            QuoteIssued(
                quote_id="q1",
                prestation_id="p1",
                member_id="m1",
                client_id="cl1",
                description="Two concerts",
                days=encoded_days,
                amount_excl_vat_cents=100000,
                vat_rate="21",
                vat_cents=21000,
                total_cents=121000,
                payment_term_days=10,
                valid_until=FIRST_DAY,
                acceptance_token_sha256=TOKEN_SHA256,
                issued_on=TODAY,
            ),
            EmploymentContractDrawnUp(
                contract_id="c1",
                prestation_id="p1",
                member_id="m1",
                niss=NISS,
                description="Two concerts",
                days=encoded_days,
                less_than_a_day=False,
                gross_per_day_cents=31962,
                daily_minimum_cents=9747,
                hourly_minimum=Decimal("12.8252"),
                withholding_rate="22",
                salary_estimate=SalaryEstimate(
                    amount_excl_vat_cents=100000,
                    vat_cents=21000,
                    total_cents=121000,
                    fee_cents=6500,
                    expenses_cents=0,
                    budget_cents=93500,
                    gross_cents=63924,
                    employer_contributions_cents=18640,
                    holiday_contributions_cents=10936,
                    employee_contributions_cents=9023,
                    taxable_cents=54901,
                    withholding_cents=12078,
                    net_cents=42823,
                ),
                drawn_up_on=TODAY,
            ),
            DimonaDeclared(
                declaration_id="d1",
                prestation_id="p1",
                contract_id="c1",
                kind="IN",
                refers_to_declaration_id=None,
                hours_per_day=None,
                payload={
                    "employer": EMPLOYER,
                    "worker": {"ssin": NISS},
                    "dimonaIn": {
                        "startDate": "2026-03-10",
                        "endDate": "2026-03-11",
                        "features": FEATURES,
                    },
                },
                declared_on=TODAY,
                member_id="m1",
            ),
        )

    def test_a_short_gig_becomes_a_contract_of_less_than_a_day_of_7_48_hours(self) -> None:
        events = spec().given().when(one_day(15000)).then_types(*ENCODING)
        contract, declaration = events[2], events[3]
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert contract.less_than_a_day is True
        assert contract.salary_estimate.gross_cents == 9589
        assert contract.days == days((FIRST_DAY, "7.48"))
        assert isinstance(declaration, DimonaDeclared)
        assert declaration.hours_per_day == Decimal("7.48")
        assert declaration.payload["dimonaIn"] == {
            "startDate": "2026-03-10",
            "endDate": "2026-03-10",
            "plannedHoursNumber": 8,
            "features": FEATURES,
        }

    def test_the_quote_keeps_the_encoded_hours_of_a_contract_of_less_than_a_day(self) -> None:
        events = spec().given().when(one_day(15000, hours="10")).then_types(*ENCODING)
        quote = events[1]
        assert isinstance(quote, QuoteIssued)
        assert quote.days == days((FIRST_DAY, "10"))

    def test_a_less_than_a_day_contract_splits_the_gross_over_the_days(self) -> None:
        command = encode(amount_excl_vat_cents=30000)  # gross 191.78 → 95.89 a day
        contract = spec().given().when(command).then_types(*ENCODING)[2]
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert contract.gross_per_day_cents == 9589
        assert contract.days == days((FIRST_DAY, "7.48"), (SECOND_DAY, "7.48"))

    def test_a_gross_exactly_at_the_daily_minimum_keeps_full_days(self) -> None:
        contract = spec().given().when(one_day(15247)).then_types(*ENCODING)[2]
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert contract.salary_estimate.gross_cents == 9747
        assert (contract.less_than_a_day, contract.days) == (False, days((FIRST_DAY, "8")))

    def test_a_cent_under_the_daily_minimum_makes_a_contract_of_less_than_a_day(self) -> None:
        contract = spec().given().when(one_day(15246)).then_types(*ENCODING)[2]
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert contract.salary_estimate.gross_cents == 9746
        assert (contract.less_than_a_day, contract.days) == (True, days((FIRST_DAY, "7.60")))

    def test_a_gig_paying_under_three_hours_of_minimum_wage_is_refused(self) -> None:
        refused = spec().given().when(one_day(5000)).raises(BelowMinimumWage, match="2.49 h")
        raises_with_field(refused, "below-minimum-wage", "amount_excl_vat_cents")
        assert "raise the price" in refused.detail

    def test_a_day_under_three_hours_is_refused(self) -> None:
        command = encode(days=(Day(FIRST_DAY, Decimal("8")), Day(SECOND_DAY, Decimal("2.99"))))
        refused = spec().given().when(command).raises(MinimumHours)
        raises_with_field(refused, "minimum-hours", "days[1].hours")

    def test_a_day_of_exactly_three_hours_is_accepted(self) -> None:
        command = encode(days=(Day(FIRST_DAY, Decimal("3")),))
        encoded_event, _, contract, _ = spec().given().when(command).then_types(*ENCODING)
        assert isinstance(encoded_event, PrestationEncoded)
        assert encoded_event.days == days((FIRST_DAY, "3.00"))
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert (contract.less_than_a_day, contract.days) == (False, days((FIRST_DAY, "3")))

    def test_a_first_day_before_today_is_refused(self) -> None:
        command = encode(days=(Day(SECOND_DAY, Decimal("8")), Day(date(2026, 3, 1), Decimal("8"))))
        refused = spec().given().when(command).raises(StartInPast)
        raises_with_field(refused, "start-in-past", "days[1].date")

    def test_work_starting_today_can_be_encoded(self) -> None:
        command = encode(days=(Day(TODAY, Decimal("8")),))
        encoded_event, quote, _, declaration = spec().given().when(command).then_types(*ENCODING)
        assert isinstance(encoded_event, PrestationEncoded)
        assert (encoded_event.first_day, encoded_event.last_day) == (TODAY, TODAY)
        assert isinstance(quote, QuoteIssued)
        assert quote.valid_until == TODAY
        assert isinstance(declaration, DimonaDeclared)
        assert declaration.payload["dimonaIn"]["startDate"] == "2026-03-02"

    def test_days_are_stored_in_date_order_with_two_decimals(self) -> None:
        command = encode(days=(Day(SECOND_DAY, Decimal("7.5")), Day(FIRST_DAY, Decimal("8"))))
        encoded_event = spec().given().when(command).then_types(*ENCODING)[0]
        assert isinstance(encoded_event, PrestationEncoded)
        assert [(d.date, str(d.hours)) for d in encoded_event.days] == [
            (FIRST_DAY, "8.00"),
            (SECOND_DAY, "7.50"),
        ]

    def test_a_member_without_a_share_uses_a_free_prestation(self) -> None:
        member = MemberFacts(NISS, has_share_this_year=False, free_prestations_used_this_year=2)
        events = (
            spec().given().when(encode(member=member)).then_types(FreePrestationUsed, *ENCODING)
        )
        assert events[0] == FreePrestationUsed(
            member_id="m1", prestation_id="p1", year=2026, use_number=3
        )

    def test_the_fourth_prestation_without_a_share_is_refused(self) -> None:
        member = MemberFacts(NISS, has_share_this_year=False, free_prestations_used_this_year=3)
        refused = spec().given().when(encode(member=member)).raises(ShareRequired)
        raises_with_field(refused, "share-required", "member_id")

    def test_a_member_with_a_share_uses_no_free_prestation(self) -> None:
        member = MemberFacts(NISS, has_share_this_year=True, free_prestations_used_this_year=3)
        spec().given().when(encode(member=member)).then_types(*ENCODING)  # no FreePrestationUsed

    def test_an_unknown_member_is_refused(self) -> None:
        refused = spec().given().when(encode(member=None)).raises(UnknownMember)
        raises_with_field(refused, "unknown-member", "member_id")

    def test_an_unknown_client_is_refused(self) -> None:
        refused = spec().given().when(encode(client_registered=False)).raises(UnknownClient)
        raises_with_field(refused, "unknown-client", "client_id")

    @pytest.mark.parametrize(
        ("encoded_days", "field"),
        [
            ((), "days"),
            ((Day(FIRST_DAY, Decimal("8")), Day(FIRST_DAY, Decimal("4"))), "days[1].date"),
            ((Day(FIRST_DAY, Decimal("24.01")),), "days[0].hours"),
            ((Day(FIRST_DAY, Decimal("7.555")),), "days[0].hours"),
            ((Day(FIRST_DAY, Decimal("NaN")),), "days[0].hours"),
        ],
    )
    def test_days_that_are_not_days_are_refused(
        self, encoded_days: tuple[Day, ...], field: str
    ) -> None:
        refused = spec().given().when(encode(days=encoded_days)).raises(InvalidDays)
        raises_with_field(refused, "invalid-days", field)

    @pytest.mark.parametrize("vat_rate", ["7", "", "twenty-one", "-21"])
    def test_a_vat_rate_that_is_not_belgian_is_refused(self, vat_rate: str) -> None:
        refused = spec().given().when(encode(vat_rate=vat_rate)).raises(InvalidVatRate)
        raises_with_field(refused, "invalid-vat-rate", "vat_rate")

    def test_a_vat_rate_is_stored_as_configured(self) -> None:
        event = spec().given().when(encode(vat_rate="6.00")).then_types(*ENCODING)[0]
        assert isinstance(event, PrestationEncoded)
        assert (event.vat_rate, event.vat_cents) == ("6", 6000)

    @pytest.mark.parametrize("rate", ["100", "-1", "22.555", "abc"])
    def test_a_withholding_rate_out_of_range_is_refused(self, rate: str) -> None:
        refused = spec().given().when(encode(withholding_rate=rate)).raises(InvalidWithholdingRate)
        raises_with_field(refused, "invalid-withholding-rate", "withholding_rate")

    def test_a_withholding_rate_with_two_decimals_is_accepted(self) -> None:
        command = encode(withholding_rate="17.150")
        event, _, contract, _ = spec().given().when(command).then_types(*ENCODING)
        assert isinstance(event, PrestationEncoded)
        assert event.withholding_rate == "17.15"
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert contract.withholding_rate == "17.15"

    def test_a_price_that_is_not_positive_is_refused(self) -> None:
        refused = spec().given().when(encode(amount_excl_vat_cents=0)).raises(InvalidAmount)
        raises_with_field(refused, "invalid-amount", "amount_excl_vat_cents")

    def test_a_negative_expense_is_refused(self) -> None:
        command = encode(expenses=(ExpenseLine("train", 2300), ExpenseLine("refund", -1)))
        refused = spec().given().when(command).raises(InvalidAmount)
        raises_with_field(refused, "invalid-amount", "expenses[1].amount_cents")

    def test_expenses_are_paid_back_out_of_the_budget(self) -> None:
        command = encode(expenses=(ExpenseLine(" train ", 2300), ExpenseLine("taxi", 1200)))
        events = spec().given().when(command).then_types(*ENCODING)
        encoded_event, contract = events[0], events[2]
        assert isinstance(encoded_event, PrestationEncoded)
        assert encoded_event.expenses == (
            Expense(description="train", amount_cents=2300),
            Expense(description="taxi", amount_cents=1200),
        )
        assert encoded_event.expenses_cents == 3500
        assert isinstance(contract, EmploymentContractDrawnUp)
        assert contract.salary_estimate.budget_cents == 93500 - 3500

    def test_expenses_that_leave_no_budget_are_refused(self) -> None:
        command = encode(expenses=(ExpenseLine("equipment", 93500),))
        refused = spec().given().when(command).raises(BudgetTooLow)
        raises_with_field(refused, "budget-too-low", "expenses")

    def test_an_empty_description_is_refused(self) -> None:
        refused = spec().given().when(encode(description="  ")).raises(InvalidDetails)
        raises_with_field(refused, "invalid-details", "description")

    def test_the_estimate_uses_the_parameters_of_the_command(self) -> None:
        later = dataclasses.replace(PARAMS, employer_rate=Decimal("0.25"))
        contract = spec().given().when(encode(parameters=later)).then_types(*ENCODING)[2]
        assert isinstance(contract, EmploymentContractDrawnUp)
        expected = salary_breakdown(100000, Decimal("0.21"), 0, Decimal("0.22"), later)
        assert contract.salary_estimate.gross_cents == expected.gross_cents != 63924

    @pytest.mark.parametrize(
        "command",
        [
            accept(),
            reject(),
            expire(),
            cancel(),
            amend(Day(FIRST_DAY, Decimal("8"))),
            answer(),
        ],
        ids=lambda command: type(command).__name__,
    )
    def test_other_commands_find_no_prestation(self, command: PrestationCommand) -> None:
        assert prestation_decider.fold([]).status == "none"
        refused = spec().given().when(command).raises(PrestationNotFound)
        raises_with_field(refused, "prestation-not-found", None, status=404)


def test_every_event_survives_a_json_round_trip() -> None:
    cancellation = (
        spec()
        .given(*encoded(), QUOTE_ACCEPTED)
        .when(dataclasses.replace(cancel(), free_use_year=2026))
        .then_types(
            PrestationCancelled, EmploymentContractCancelled, DimonaDeclared, FreePrestationReturned
        )
    )
    history = [
        *prestation_decider.decide(encode(member=MemberFacts(NISS, False, 0)), NoPrestation()),
        DIMONA_IN_ACCEPTED,
        QUOTE_ACCEPTED,
        *cancellation,
    ]
    for event in history:
        assert registered_events()[event.event_type()] is type(event)
        assert type(event).model_validate_json(event.model_dump_json()) == event


class TestQuotePending:
    def test_the_state_is_quoted(self) -> None:
        state = prestation_decider.fold(encoded())
        assert isinstance(state, Quoted)
        assert state.status == "quoted"
        assert state.prestation.quote_valid_until == FIRST_DAY
        assert state.prestation.niss == NISS

    def test_encoding_the_same_prestation_again_is_a_conflict(self) -> None:
        refused = spec().given(*encoded()).when(WORKED_EXAMPLE).raises(PrestationAlreadyExists)
        assert refused.status == 409

    def test_the_client_accepts_with_its_token(self) -> None:
        spec().given(*encoded()).when(accept()).then(QUOTE_ACCEPTED)

    def test_ops_accept_without_a_token(self) -> None:
        command = accept(accepted_by="ops", presented_token_sha256=None)
        spec().given(*encoded()).when(command).then(
            QUOTE_ACCEPTED.model_copy(update={"accepted_by": "ops"})
        )

    def test_the_quote_carries_the_expenses_to_billing_and_payroll(self) -> None:
        history = encoded(encode(expenses=(ExpenseLine("train", 2300),)))
        (accepted,) = spec().given(*history).when(accept()).then_types(QuoteAccepted)
        assert isinstance(accepted, QuoteAccepted)
        assert accepted.expenses == (Expense(description="train", amount_cents=2300),)
        assert accepted.expenses_cents == 2300

    @pytest.mark.parametrize("presented", [hash_acceptance_token("guess"), None, ""])
    def test_a_client_without_the_right_token_cannot_accept(self, presented: str | None) -> None:
        command = accept(presented_token_sha256=presented)
        refused = spec().given(*encoded()).when(command).raises(InvalidAcceptanceToken)
        raises_with_field(refused, "invalid-acceptance-token", None, status=403)

    def test_another_quote_id_is_not_found(self) -> None:
        refused = spec().given(*encoded()).when(accept(quote_id="q2")).raises(QuoteNotFound)
        raises_with_field(refused, "quote-not-found", None, status=404)

    def test_the_quote_can_still_be_accepted_on_the_first_day(self) -> None:
        command = accept(today=FIRST_DAY)
        (accepted,) = spec().given(*encoded()).when(command).then_types(QuoteAccepted)
        assert isinstance(accepted, QuoteAccepted)
        assert accepted.accepted_on == FIRST_DAY

    def test_the_quote_cannot_be_accepted_after_the_first_day(self) -> None:
        command = accept(today=SECOND_DAY)
        refused = spec().given(*encoded()).when(command).raises(QuoteNoLongerValid)
        raises_with_field(refused, "quote-expired", None, status=409)

    def test_rejection_cancels_the_contract_and_the_pending_dimona(self) -> None:
        spec().given(*encoded()).when(reject()).then(
            QuoteRejected(
                quote_id="q1",
                prestation_id="p1",
                rejected_by="client",
                reason="Date moved",
                rejected_on=TODAY,
            ),
            contract_cancelled("quote-rejected"),
            cancel_declaration(period_id=None),
        )

    def test_rejection_names_the_dimona_period_once_onss_gave_it(self) -> None:
        events = (
            spec()
            .given(*encoded(), DIMONA_IN_ACCEPTED)
            .when(reject())
            .then_types(QuoteRejected, EmploymentContractCancelled, DimonaDeclared)
        )
        assert events[-1] == cancel_declaration(period_id=777)

    def test_rejection_after_a_refused_dimona_declares_nothing(self) -> None:
        events = (
            spec()
            .given(*encoded(), DIMONA_IN_REFUSED)
            .when(reject())
            .then_types(QuoteRejected, EmploymentContractCancelled)  # no DimonaDeclared
        )
        assert events[1] == contract_cancelled("quote-rejected")

    def test_a_client_without_the_token_cannot_reject(self) -> None:
        command = reject(presented_token_sha256=hash_acceptance_token("guess"))
        spec().given(*encoded()).when(command).raises(InvalidAcceptanceToken)

    def test_the_quote_does_not_expire_until_the_first_day_is_over(self) -> None:
        command = expire(today=FIRST_DAY)
        refused = spec().given(*encoded()).when(command).raises(QuoteStillValid)
        raises_with_field(refused, "quote-still-valid", None, status=409)

    def test_without_acceptance_the_quote_expires_the_day_after_the_first_day(self) -> None:
        spec().given(*encoded(), DIMONA_IN_ACCEPTED).when(expire()).then(
            QuoteExpired(quote_id="q1", prestation_id="p1", expired_on=SECOND_DAY),
            contract_cancelled("quote-expired", on=SECOND_DAY),
            cancel_declaration(period_id=777).model_copy(update={"declared_on": SECOND_DAY}),
        )

    def test_the_member_cancels_before_the_start(self) -> None:
        spec().given(*encoded()).when(cancel()).then(
            PrestationCancelled(
                prestation_id="p1",
                member_id="m1",
                client_id="cl1",
                quote_id="q1",
                was_accepted=False,
                cancelled_by="m1",
                reason="Ill",
                cancelled_on=TODAY,
            ),
            contract_cancelled("prestation-cancelled"),
            cancel_declaration(period_id=None),
        )

    def test_a_prestation_cannot_be_cancelled_once_started(self) -> None:
        refused = spec().given(*encoded()).when(cancel(today=FIRST_DAY)).raises(AlreadyStarted)
        raises_with_field(refused, "already-started", None, status=409)

    def test_new_days_amend_the_contract_and_update_the_dimona(self) -> None:
        command = amend(Day(date(2026, 3, 12), Decimal("6")), Day(date(2026, 3, 13), Decimal("6")))
        new_days = days((date(2026, 3, 12), "6"), (date(2026, 3, 13), "6"))
        expected_estimate = encoded()[2].salary_estimate  # type: ignore[attr-defined]
        spec().given(*encoded(), DIMONA_IN_ACCEPTED).when(command).then(
            PrestationAmended(
                prestation_id="p1",
                member_id="m1",
                client_id="cl1",
                days=new_days,
                first_day=date(2026, 3, 12),
                last_day=date(2026, 3, 13),
                amended_on=TODAY,
            ),
            EmploymentContractAmended(
                contract_id="c1",
                prestation_id="p1",
                days=new_days,
                less_than_a_day=False,
                gross_per_day_cents=31962,
                daily_minimum_cents=9747,
                hourly_minimum=Decimal("12.8252"),
                salary_estimate=expected_estimate,
                amended_on=TODAY,
            ),
            DimonaDeclared(
                declaration_id="d2",
                prestation_id="p1",
                contract_id="c1",
                kind="UPDATE",
                refers_to_declaration_id="d1",
                hours_per_day=None,
                payload={
                    "dimonaUpdate": {
                        "periodId": 777,
                        "startDate": "2026-03-12",
                        "endDate": "2026-03-13",
                    }
                },
                declared_on=TODAY,
                member_id="m1",
            ),
        )

    def test_an_amendment_to_one_day_may_make_a_contract_of_less_than_a_day(self) -> None:
        history = encoded(encode(amount_excl_vat_cents=30000))  # 95.89 a day over two days
        command = amend(Day(FIRST_DAY, Decimal("8")))  # 191.78 on one day: a full day
        events = spec().given(*history).when(command).then_types(*AMENDMENT)
        assert isinstance(events[1], EmploymentContractAmended)
        assert events[1].less_than_a_day is False
        assert events[2].payload == {  # type: ignore[attr-defined]
            "dimonaUpdate": {"startDate": "2026-03-10", "endDate": "2026-03-10"}
        }

    def test_an_amendment_after_a_refused_dimona_declares_a_new_in(self) -> None:
        command = amend(Day(date(2026, 3, 12), Decimal("8")))
        events = spec().given(*encoded(), DIMONA_IN_REFUSED).when(command).then_types(*AMENDMENT)
        declaration = events[2]
        assert isinstance(declaration, DimonaDeclared)
        assert (declaration.kind, declaration.refers_to_declaration_id) == ("IN", None)
        assert declaration.payload["worker"] == {"ssin": NISS}
        assert declaration.payload["dimonaIn"]["startDate"] == "2026-03-12"

    def test_after_an_amendment_the_new_days_rule(self) -> None:
        command = amend(Day(date(2026, 3, 12), Decimal("8")))  # one day: a gross of 639.24
        amendment = spec().given(*encoded()).when(command).then_types(*AMENDMENT)
        state = prestation_decider.fold([*encoded(), *amendment])
        assert isinstance(state, Quoted)
        prestation = state.prestation
        assert (prestation.first_day, prestation.last_day) == (date(2026, 3, 12), date(2026, 3, 12))
        assert prestation.quote_valid_until == date(2026, 3, 12)
        assert prestation.contract is not None
        assert prestation.contract.gross_per_day_cents == 63924
        assert [d.kind for d in prestation.declarations] == ["IN", "UPDATE"]
        # The old first day has not started the prestation any more.
        cancellation = (
            spec()
            .given(*encoded(), *amendment)
            .when(cancel(today=SECOND_DAY))
            .then_types(PrestationCancelled, EmploymentContractCancelled, DimonaDeclared)
        )
        cancelled, _, declaration = cancellation
        assert isinstance(cancelled, PrestationCancelled)
        assert cancelled.cancelled_on == SECOND_DAY
        assert isinstance(declaration, DimonaDeclared)
        assert (declaration.kind, declaration.refers_to_declaration_id) == ("CANCEL", "d1")

    def test_the_same_days_again_change_nothing(self) -> None:
        command = amend(Day(SECOND_DAY, Decimal("8.00")), Day(FIRST_DAY, Decimal("8")))
        spec().given(*encoded()).when(command).then()

    @pytest.mark.parametrize(
        ("new_days", "error", "field"),
        [
            ((Day(FIRST_DAY, Decimal("2")),), MinimumHours, "days[0].hours"),
            ((Day(date(2026, 3, 1), Decimal("8")),), StartInPast, "days[0].date"),
            ((), InvalidDays, "days"),
        ],
    )
    def test_an_amendment_meets_every_encoding_rule(
        self, new_days: tuple[Day, ...], error: type[DomainError], field: str
    ) -> None:
        refused = spec().given(*encoded()).when(amend(*new_days)).raises(error)
        assert refused.field == field

    def test_an_amendment_cannot_spread_a_small_gross_under_three_hours_a_day(self) -> None:
        history = encoded(one_day(15000))  # 7.48 h on one day; 2.49 h a day over three
        command = amend(
            Day(FIRST_DAY, Decimal("8")),
            Day(SECOND_DAY, Decimal("8")),
            Day(date(2026, 3, 12), Decimal("8")),
        )
        refused = spec().given(*history).when(command).raises(BelowMinimumWage)
        assert refused.field == "amount_excl_vat_cents"

    def test_a_prestation_cannot_be_amended_once_started(self) -> None:
        command = amend(Day(date(2026, 3, 20), Decimal("8")), today=FIRST_DAY)
        spec().given(*encoded()).when(command).raises(AlreadyStarted)

    def test_onss_accepts_the_in(self) -> None:
        spec().given(*encoded()).when(answer("A")).then(DIMONA_IN_ACCEPTED)

    def test_onss_accepts_with_warnings(self) -> None:
        spec().given(*encoded()).when(answer("W")).then(
            DIMONA_IN_ACCEPTED.model_copy(update={"result": "W"})
        )

    def test_onss_refuses_the_in(self) -> None:
        spec().given(*encoded()).when(answer("B")).then(DIMONA_IN_REFUSED)

    def test_the_same_answer_twice_is_recorded_once(self) -> None:
        spec().given(*encoded(), DIMONA_IN_ACCEPTED).when(answer("A")).then()

    def test_a_contradicting_answer_is_a_conflict(self) -> None:
        refused = (
            spec()
            .given(*encoded(), DIMONA_IN_ACCEPTED)
            .when(answer("B"))
            .raises(DimonaAlreadyAnswered)
        )
        raises_with_field(refused, "dimona-already-answered", None, status=409)

    def test_an_answer_to_an_unknown_declaration_is_not_found(self) -> None:
        command = answer("A", declaration_id="d9")
        refused = spec().given(*encoded()).when(command).raises(DeclarationNotFound)
        raises_with_field(refused, "declaration-not-found", None, status=404)

    def test_the_folded_state_follows_the_declarations(self) -> None:
        state = prestation_decider.fold([*encoded(), DIMONA_IN_ACCEPTED])
        assert isinstance(state, Quoted)
        current = state.prestation.current_in
        assert current is not None
        assert (current.status, current.period_id) == ("accepted", 777)


class TestQuoteAccepted:
    def history(self) -> list[DomainEvent]:
        return [*encoded(), DIMONA_IN_ACCEPTED, QUOTE_ACCEPTED]

    def test_the_state_is_accepted(self) -> None:
        state = prestation_decider.fold(self.history())
        assert isinstance(state, Accepted)
        assert (state.status, state.accepted_by, state.accepted_on) == ("accepted", "client", TODAY)

    @pytest.mark.parametrize("command", [accept(), reject()], ids=["accept", "reject"])
    def test_the_quote_is_no_longer_pending(self, command: PrestationCommand) -> None:
        refused = spec().given(*self.history()).when(command).raises(QuoteNotPending)
        raises_with_field(refused, "quote-not-pending", None, status=409)

    def test_an_accepted_quote_does_not_expire(self) -> None:
        spec().given(*self.history()).when(expire()).then()

    def test_cancellation_before_the_start_cancels_contract_and_dimona(self) -> None:
        spec().given(*self.history()).when(cancel()).then(
            PrestationCancelled(
                prestation_id="p1",
                member_id="m1",
                client_id="cl1",
                quote_id="q1",
                was_accepted=True,
                cancelled_by="m1",
                reason="Ill",
                cancelled_on=TODAY,
            ),
            contract_cancelled("prestation-cancelled"),
            cancel_declaration(period_id=777),
        )

    def test_the_days_can_still_be_amended_before_the_start(self) -> None:
        command = amend(Day(date(2026, 3, 12), Decimal("8")), Day(date(2026, 3, 13), Decimal("8")))
        amended, _, declaration = spec().given(*self.history()).when(command).then_types(*AMENDMENT)
        assert isinstance(amended, PrestationAmended)
        assert (amended.first_day, amended.last_day) == (date(2026, 3, 12), date(2026, 3, 13))
        assert isinstance(declaration, DimonaDeclared)
        assert (declaration.kind, declaration.refers_to_declaration_id) == ("UPDATE", "d1")
        assert declaration.payload["dimonaUpdate"]["periodId"] == 777

    def test_once_started_it_can_neither_be_cancelled_nor_amended(self) -> None:
        spec().given(*self.history()).when(cancel(today=SECOND_DAY)).raises(AlreadyStarted)
        command = amend(Day(date(2026, 3, 20), Decimal("8")), today=SECOND_DAY)
        spec().given(*self.history()).when(command).raises(AlreadyStarted)


class TestRejectedOrExpired:
    REJECTED = QuoteRejected(
        quote_id="q1", prestation_id="p1", rejected_by="client", reason=None, rejected_on=TODAY
    )
    EXPIRED = QuoteExpired(quote_id="q1", prestation_id="p1", expired_on=FIRST_DAY)

    @pytest.fixture(params=["rejected", "expired"])
    def history(self, request: pytest.FixtureRequest) -> list[DomainEvent]:
        closing = self.REJECTED if request.param == "rejected" else self.EXPIRED
        return [*encoded(), closing, contract_cancelled("quote-" + request.param)]

    def test_the_state_is_closed(self, history: list[DomainEvent]) -> None:
        state = prestation_decider.fold(history)
        assert isinstance(state, Closed)
        assert state.status in ("rejected", "expired")

    def test_the_quote_can_no_longer_be_accepted(self, history: list[DomainEvent]) -> None:
        spec().given(*history).when(accept()).raises(QuoteNotPending)

    def test_the_quote_can_no_longer_be_rejected(self, history: list[DomainEvent]) -> None:
        spec().given(*history).when(reject()).raises(QuoteNotPending)

    def test_expiring_again_changes_nothing(self, history: list[DomainEvent]) -> None:
        spec().given(*history).when(expire(today=SECOND_DAY)).then()

    def test_it_can_neither_be_cancelled_nor_amended(self, history: list[DomainEvent]) -> None:
        refused = spec().given(*history).when(cancel()).raises(PrestationClosed)
        raises_with_field(refused, "prestation-closed", None, status=409)
        command = amend(Day(date(2026, 3, 20), Decimal("8")))
        spec().given(*history).when(command).raises(PrestationClosed)

    def test_dimona_answers_are_still_recorded(self, history: list[DomainEvent]) -> None:
        spec().given(*history).when(answer("A")).then(DIMONA_IN_ACCEPTED)


class TestCancelled:
    def history(self) -> list[DomainEvent]:
        return (
            spec()
            .given(*encoded())
            .when(cancel())
            .then_types(PrestationCancelled, EmploymentContractCancelled, DimonaDeclared)
        )

    def test_the_state_is_cancelled(self) -> None:
        state = prestation_decider.fold([*encoded(), *self.history()])
        assert isinstance(state, Closed)
        assert state.status == "cancelled"
        assert state.closed_on == TODAY

    def test_it_cannot_be_cancelled_twice(self) -> None:
        spec().given(*encoded(), *self.history()).when(cancel()).raises(PrestationClosed)

    def test_its_quote_can_no_longer_be_accepted(self) -> None:
        spec().given(*encoded(), *self.history()).when(accept()).raises(QuoteNotPending)

    def test_it_cannot_be_amended(self) -> None:
        command = amend(Day(date(2026, 3, 20), Decimal("8")))
        spec().given(*encoded(), *self.history()).when(command).raises(PrestationClosed)

    def test_the_answer_to_the_cancellation_is_recorded(self) -> None:
        spec().given(*encoded(), *self.history()).when(answer("A", declaration_id="d2")).then(
            DIMONA_IN_ACCEPTED.model_copy(update={"declaration_id": "d2"})
        )
