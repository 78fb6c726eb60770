"""The invoice aggregate, given/when/then, grouped by state."""

from __future__ import annotations

import datetime as dt

import pytest

from services.billing.domain.errors import (
    CreditExceedsInvoice,
    InvoiceClosed,
    InvoiceNotFound,
    NumberDatedBeforePrevious,
)
from services.billing.domain.invoice import (
    AddClaim,
    ApplyPayment,
    Invoice,
    IssueCreditNote,
    NoInvoice,
    RecordDelivery,
    RequestDelivery,
    SendReminder,
    WriteOff,
    allocate,
    invoice_decider,
    issue_credit_note,
    issue_invoice,
)
from services.billing.domain.numbering import Numbering, numbering_decider
from services.billing.domain.reference import (
    InvalidStructuredReference,
    check_digits,
    parse_structured_reference,
)
from shared.decider import Spec
from shared.events.billing import (
    CreditToRefund,
    InvoiceDelivered,
    InvoiceDeliveryFailed,
    InvoiceDeliveryRequested,
    InvoiceIssuanceRefused,
    InvoiceIssued,
    InvoiceNumberAssigned,
    InvoicePaid,
    InvoiceWrittenOff,
    LateClaimAdded,
    PaymentReceived,
    ReminderSent,
)
from tests.billing.builders import (
    BELGIAN_BUSINESS,
    BELGIAN_PRIVATE,
    FRENCH_BUSINESS,
    ISSUE_DATE,
    SWISS_BUSINESS,
    ClientFacts,
    issue_command,
)


def issued(client: ClientFacts = BELGIAN_BUSINESS, vat_rate: str = "21") -> InvoiceIssued:
    events, _ = issue_invoice(issue_command(client, vat_rate), NoInvoice(), Numbering())
    found = events[0]
    if not isinstance(found, InvoiceIssued):
        raise AssertionError(found)
    return found


def pay(amount: int, payment_id: str = "p1", on: dt.date = ISSUE_DATE) -> ApplyPayment:
    return ApplyPayment(payment_id, amount, on, None, "api")


def state_of(*events: object) -> Invoice:
    state = invoice_decider.fold(events)  # type: ignore[arg-type]
    if not isinstance(state, Invoice):
        raise AssertionError(state)
    return state


# -- no invoice yet ------------------------------------------------------------------------------


class TestNoInvoice:
    def test_issuing_takes_the_first_number_of_the_year_and_derives_the_reference(self) -> None:
        events, numbers = issue_invoice(issue_command(), NoInvoice(), Numbering())
        invoice = events[0]
        assert isinstance(invoice, InvoiceIssued)
        assert numbers == [
            InvoiceNumberAssigned(
                year=2026, sequence=1, number="2026-000001",
                invoice_id=invoice.invoice_id, issue_date=ISSUE_DATE,
            )
        ]  # fmt: skip
        assert invoice.number == "2026-000001"
        assert invoice.structured_reference == "+++202/6000/00192+++"
        assert invoice.due_date == dt.date(2026, 3, 12)
        assert (invoice.amount_excl_vat_cents, invoice.vat_cents, invoice.total_cents) == (
            100_000, 21_000, 121_000,
        )  # fmt: skip
        assert invoice.buyer.enterprise_number == "0123456749"
        assert (invoice.buyer.street, invoice.buyer.postal_code, invoice.buyer.city) == (
            "Rue Haute 12", "1000", "Bruxelles",
        )  # fmt: skip

    def test_the_next_number_follows_the_last_of_the_series(self) -> None:
        series = numbering_decider.fold(
            [InvoiceNumberAssigned(year=2026, sequence=122, number="2026-000122",
                                   invoice_id="Ix", issue_date=ISSUE_DATE)]
        )  # fmt: skip
        events, numbers = issue_invoice(issue_command(), NoInvoice(), series)
        assert [n.number for n in numbers if isinstance(n, InvoiceNumberAssigned)] == [
            "2026-000123"
        ]
        assert isinstance(events[0], InvoiceIssued) and events[0].number == "2026-000123"

    def test_a_number_dated_before_the_last_one_is_refused(self) -> None:
        series = Numbering(last_sequence=5, last_date=dt.date(2026, 3, 5))
        with pytest.raises(NumberDatedBeforePrevious):
            issue_invoice(issue_command(), NoInvoice(), series)

    @pytest.mark.parametrize(
        ("client", "rate", "category", "vat", "mentions"),
        [
            (BELGIAN_BUSINESS, "21", "S", 21_000, ()),
            (BELGIAN_BUSINESS, "6", "S", 6_000, ()),
            (BELGIAN_PRIVATE, "12", "S", 12_000, ()),
            (BELGIAN_PRIVATE, "0", "E", 0, ()),
            (FRENCH_BUSINESS, "21", "AE", 0, ("Autoliquidation", "Btw verlegd")),
            (SWISS_BUSINESS, "21", "O", 0, ()),
        ],
    )
    def test_each_vat_regime_gives_its_totals_and_mentions(
        self, client: ClientFacts, rate: str, category: str, vat: int, mentions: tuple[str, ...]
    ) -> None:
        invoice = issued(client, rate)
        (line,) = invoice.vat_breakdown
        assert line.category == category
        assert invoice.vat_cents == vat == line.vat_cents
        assert invoice.total_cents == sum(x.amount_excl_vat_cents for x in invoice.lines) + vat
        assert invoice.legal_mentions == mentions
        assert (line.exemption_reason is None) == (category == "S")

    def test_a_belgian_client_with_a_foreign_vat_number_is_refused_not_reverse_charged(
        self,
    ) -> None:
        odd = ClientFacts("c9", "Odd", "o@x.example", "BE", "FR40303265045", None)
        events, numbers = issue_invoice(issue_command(odd), NoInvoice(), Numbering())
        assert numbers == []
        assert isinstance(events[0], InvoiceIssuanceRefused)
        assert events[0].code == "vat-regime-refused"

    def test_an_eu_business_with_an_invalid_vat_number_is_refused(self) -> None:
        bad = ClientFacts("c8", "Bad", "b@x.example", "FR", "FR00000000001", None)
        events, _ = issue_invoice(issue_command(bad), NoInvoice(), Numbering())
        assert isinstance(events[0], InvoiceIssuanceRefused)

    def test_a_payment_on_no_invoice_is_refused(self) -> None:
        Spec(invoice_decider).given().when(pay(100)).raises(InvoiceNotFound)

    def test_no_credit_note_without_an_invoice(self) -> None:
        with pytest.raises(InvoiceNotFound):
            issue_credit_note(
                IssueCreditNote("CN1", "x", None, ISSUE_DATE), NoInvoice(), Numbering()
            )


# -- issued --------------------------------------------------------------------------------------


class TestIssued:
    def test_issuing_again_changes_nothing(self) -> None:
        assert issue_invoice(issue_command(), state_of(issued()), Numbering()) == ([], [])

    def test_a_partial_payment_leaves_the_rest_outstanding(self) -> None:
        spec = Spec(invoice_decider).given(issued())
        produced = spec.when(pay(50_000)).then_types(PaymentReceived)
        state = state_of(issued(), *produced)
        assert (state.paid_cents, state.outstanding_cents) == (50_000, 71_000)
        assert state.status(ISSUE_DATE) == "issued"
        assert state.status(dt.date(2026, 3, 13)) == "overdue"

    def test_paying_in_full_settles_it(self) -> None:
        produced = (
            Spec(invoice_decider)
            .given(issued())
            .when(pay(121_000))
            .then_types(PaymentReceived, InvoicePaid)
        )
        assert state_of(issued(), *produced).status(dt.date(2027, 1, 1)) == "paid"

    def test_an_overpayment_becomes_a_credit_to_refund(self) -> None:
        produced = (
            Spec(invoice_decider)
            .given(issued())
            .when(pay(125_000))
            .then_types(PaymentReceived, CreditToRefund, InvoicePaid)
        )
        assert isinstance(produced[1], CreditToRefund) and produced[1].amount_cents == 4_000

    def test_the_same_payment_twice_is_applied_once(self) -> None:
        first = invoice_decider.decide(pay(10_000), state_of(issued()))
        Spec(invoice_decider).given(issued(), *first).when(pay(10_000)).then()

    def test_claims_are_paid_before_the_principal(self) -> None:
        claim = AddClaim("fee", "flat_fee", "Indemnité forfaitaire", 4_000, ISSUE_DATE)
        added = Spec(invoice_decider).given(issued()).when(claim).then_types(LateClaimAdded)
        produced = (
            Spec(invoice_decider)
            .given(issued(), *added)
            .when(pay(10_000))
            .then_types(PaymentReceived)
        )
        payment = produced[0]
        assert isinstance(payment, PaymentReceived)
        assert (payment.to_claims_cents, payment.to_principal_cents) == (4_000, 6_000)
        state = state_of(issued(), *added, *produced)
        assert state.paid_cents + state.outstanding_cents == 121_000 + 4_000

    def test_a_reminder_carries_its_claims_in_the_same_decision(self) -> None:
        reminder = SendReminder(
            "R1", 1, False, dt.date(2026, 3, 13), dt.date(2026, 3, 27),
            claims=(AddClaim("fee", "flat_fee", "€40", 4_000, dt.date(2026, 3, 13)),),
        )  # fmt: skip
        produced = (
            Spec(invoice_decider)
            .given(issued())
            .when(reminder)
            .then_types(LateClaimAdded, ReminderSent)
        )
        assert isinstance(produced[1], ReminderSent) and produced[1].outstanding_cents == 125_000

    def test_a_write_off_records_what_stays_unpaid(self) -> None:
        Spec(invoice_decider).given(issued()).when(WriteOff("bankrupt", ISSUE_DATE)).then(
            InvoiceWrittenOff(invoice_id=issued().invoice_id, reason="bankrupt",
                              written_off_on=ISSUE_DATE, outstanding_cents=121_000)
        )  # fmt: skip

    def test_a_partial_credit_note_at_the_invoice_rate(self) -> None:
        note_events, numbers = issue_credit_note(
            IssueCreditNote("CN1", "one day less", 50_000, ISSUE_DATE), state_of(issued()),
            Numbering(),
        )  # fmt: skip
        note = note_events[0]
        assert numbers[0].number == "2026-000001"  # type: ignore[attr-defined]
        assert note.total_cents == 60_500  # type: ignore[attr-defined]
        state = state_of(issued(), *note_events)
        assert state.outstanding_cents == 60_500

    def test_a_credit_note_beyond_what_remains_is_refused(self) -> None:
        with pytest.raises(CreditExceedsInvoice):
            issue_credit_note(
                IssueCreditNote("CN1", "x", 100_001, ISSUE_DATE), state_of(issued()), Numbering()
            )

    def test_a_delivery_is_requested_then_answered_once(self) -> None:
        request = RequestDelivery("d1", "peppol", "0208:0123456749", ISSUE_DATE)
        requested = (
            Spec(invoice_decider).given(issued()).when(request).then_types(InvoiceDeliveryRequested)
        )
        answer = RecordDelivery("d1", True, None, ISSUE_DATE)
        done = (
            Spec(invoice_decider)
            .given(issued(), *requested)
            .when(answer)
            .then_types(InvoiceDelivered)
        )
        Spec(invoice_decider).given(issued(), *requested, *done).when(answer).then()
        failed = RecordDelivery("d1", False, "unknown participant", ISSUE_DATE)
        Spec(invoice_decider).given(issued(), *requested).when(failed).then_types(
            InvoiceDeliveryFailed
        )


# -- paid, credited, written off ----------------------------------------------------------------


class TestClosed:
    def paid(self) -> list[object]:
        return [issued(), *invoice_decider.decide(pay(121_000), state_of(issued()))]

    def test_no_claim_on_a_paid_invoice(self) -> None:
        claim = AddClaim("i", "interest", "x", 10, ISSUE_DATE)
        Spec(invoice_decider).given(*self.paid()).when(claim).raises(InvoiceClosed)  # type: ignore[arg-type]

    def test_crediting_a_paid_invoice_in_full_owes_the_client_a_refund(self) -> None:
        events, _ = issue_credit_note(
            IssueCreditNote("CN1", "cancelled", None, ISSUE_DATE), state_of(*self.paid()),
            Numbering(),
        )  # fmt: skip
        assert [type(e).__name__ for e in events] == ["CreditNoteIssued", "CreditToRefund"]
        assert events[1].amount_cents == 121_000  # type: ignore[attr-defined]

    def test_a_written_off_invoice_is_not_written_off_twice_nor_credited(self) -> None:
        off = InvoiceWrittenOff(invoice_id=issued().invoice_id, reason="x",
                                written_off_on=ISSUE_DATE, outstanding_cents=121_000)  # fmt: skip
        Spec(invoice_decider).given(issued(), off).when(WriteOff("again", ISSUE_DATE)).then()
        with pytest.raises(InvoiceClosed):
            issue_credit_note(
                IssueCreditNote("CN1", "x", None, ISSUE_DATE), state_of(issued(), off), Numbering()
            )
        assert state_of(issued(), off).status(ISSUE_DATE) == "written_off"


@pytest.mark.parametrize("amount", [0, 1, 3_999, 4_000, 10_000, 125_000, 200_000])
def test_allocation_never_loses_a_cent(amount: int) -> None:
    to_claims, to_principal, excess = allocate(amount, 4_000, 121_000)
    assert to_claims + to_principal + excess == amount
    assert to_principal == 0 or to_claims == 4_000


def test_the_domain_example_reference_parses_and_a_wrong_check_is_refused() -> None:
    assert parse_structured_reference("***123/4567/89002***") == "+++123/4567/89002+++"
    assert parse_structured_reference("123456789002") == "+++123/4567/89002+++"
    with pytest.raises(InvalidStructuredReference):
        parse_structured_reference("+++123/4567/89003+++")
    with pytest.raises(InvalidStructuredReference):
        parse_structured_reference("hello")


def test_a_reference_whose_base_is_a_multiple_of_97_checks_97() -> None:
    assert check_digits(97 * 12345) == 97
