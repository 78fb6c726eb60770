"""The shareholder decider, given/when/then, grouped by the shareholder's state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.governance.domain.shares import (
    ApproveRedemption,
    BuyShares,
    Holder,
    MemberHasLeft,
    NoShares,
    OutsideResignationWindow,
    Overpayment,
    PurchaseNotFound,
    QuantityRequired,
    RecordSharePayment,
    RedeemShares,
    RedemptionAmountMismatch,
    RedemptionNotApprovable,
    Resign,
    ShareCommand,
    Shareholder,
    StaffCommitmentNotMet,
    shareholder_decider,
    staff_commitment_shares,
)
from shared.decider import Spec
from shared.events.base import DomainEvent
from shared.events.governance import (
    Category,
    MemberResigned,
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    SharePurchaseOpened,
    ShareRedeemed,
    ShareRedemptionApproved,
    SharesPaidUp,
)

MEMBER = "m1"
DAY = dt.date(2026, 3, 2)
HOLDER = Holder("person", "Ada Lovelace", "Rue Haute 1, 1000 Bruxelles", None)
REF = "+++020/2600/00185+++"


def spec() -> Spec[ShareCommand, Shareholder]:
    return Spec(shareholder_decider(MEMBER))


def buy(
    quantity: int | None, category: Category = "A", *, purchase_id: str = "S1",
    yearly_gross_salary_cents: int | None = None,
) -> BuyShares:  # fmt: skip
    return BuyShares(
        purchase_id=purchase_id, holder=HOLDER, category=category, quantity=quantity,
        year=2026, today=DAY, unit_price_cents=3000, structured_reference=REF,
        yearly_gross_salary_cents=yearly_gross_salary_cents,
    )  # fmt: skip


def admitted() -> ShareholderAdmitted:
    return ShareholderAdmitted(
        member_id=MEMBER, kind="person", name=HOLDER.name, domicile=HOLDER.domicile,
        enterprise_number=None, admitted_on=DAY,
    )  # fmt: skip


def opened(
    quantity: int = 1, category: Category = "A", purchase_id: str = "S1"
) -> SharePurchaseOpened:
    amount = quantity * 3000
    upfront = amount if category == "A" else -(-amount // 4)
    return SharePurchaseOpened(
        purchase_id=purchase_id, member_id=MEMBER, category=category,
        quantity=quantity, amount_cents=amount, minimum_upfront_cents=upfront,
        structured_reference=REF, opened_on=DAY,
    )  # fmt: skip


def bought(
    year: int, quantity: int = 1, category: str = "A", purchase_id: str = "S1"
) -> ShareBought:
    return ShareBought(
        purchase_id=purchase_id, member_id=MEMBER, category=category,
        quantity=quantity, year=year, unit_price_cents=3000, bought_on=DAY,
        structured_reference=REF,
    )  # fmt: skip


def paid(amount: int, payment_id: str = "P1", purchase_id: str = "S1") -> SharePaymentReceived:
    return SharePaymentReceived(
        purchase_id=purchase_id, member_id=MEMBER, payment_id=payment_id, amount_cents=amount,
        received_on=DAY, source="ops",
    )  # fmt: skip


def paid_up(purchase_id: str = "S1") -> SharesPaidUp:
    return SharesPaidUp(purchase_id=purchase_id, member_id=MEMBER, paid_on=DAY)


def holding_one_paid_share() -> list[DomainEvent]:
    return [admitted(), opened(), bought(2026), paid(3000), paid_up()]


class TestANewcomer:
    def test_three_category_a_shares_cover_three_years_from_the_year_given(self) -> None:
        spec().given().when(buy(3)).then(
            admitted(), opened(3), bought(2026), bought(2027), bought(2028)
        )

    def test_a_staff_member_commits_one_percent_of_the_gross_in_whole_shares(self) -> None:
        command = buy(None, "B", yearly_gross_salary_cents=3_100_000)
        events = (
            spec()
            .given()
            .when(command)
            .then_types(ShareholderAdmitted, SharePurchaseOpened, ShareBought)
        )
        purchase = events[1]
        assert isinstance(purchase, SharePurchaseOpened)
        assert (purchase.quantity, purchase.amount_cents) == (10, 30_000)
        assert purchase.minimum_upfront_cents == 7_500  # a quarter up front

    def test_a_staff_member_buying_less_than_the_commitment_is_refused(self) -> None:
        spec().given().when(buy(9, "B", yearly_gross_salary_cents=3_100_000)).raises(
            StaffCommitmentNotMet, match="10 shares"
        )

    def test_a_purchase_without_quantity_or_salary_is_refused(self) -> None:
        spec().given().when(buy(None)).raises(QuantityRequired)

    def test_a_commitment_below_one_share_needs_a_quantity(self) -> None:
        spec().given().when(buy(None, "B", yearly_gross_salary_cents=200_000)).raises(
            QuantityRequired
        )

    def test_the_quarter_up_front_rounds_up_to_the_cent(self) -> None:
        events = (
            spec()
            .given()
            .when(buy(1, "B"))
            .then_types(ShareholderAdmitted, SharePurchaseOpened, ShareBought)
        )
        assert isinstance(events[1], SharePurchaseOpened)
        assert events[1].minimum_upfront_cents == 750

    @pytest.mark.parametrize(
        ("salary", "shares"), [(3_100_000, 10), (3_099_999, 10), (2_999_999, 9), (0, 0)]
    )
    def test_the_commitment_rounds_down(self, salary: int, shares: int) -> None:
        assert staff_commitment_shares(salary, Decimal("0.01"), 3000) == shares

    def test_nothing_to_pay_on_a_purchase_that_does_not_exist(self) -> None:
        spec().given().when(RecordSharePayment("S9", "P1", 3000, DAY, "ops")).raises(
            PurchaseNotFound
        )

    def test_no_resignation_without_shares(self) -> None:
        spec().given().when(Resign(DAY, "resignation", 6)).raises(NoShares)


class TestAShareholderWithYearsCovered:
    def test_a_further_purchase_covers_the_next_years_not_covered(self) -> None:
        given = [admitted(), opened(3), bought(2026), bought(2027), bought(2028)]
        spec().given(*given).when(buy(1, purchase_id="S2")).then(
            opened(1, purchase_id="S2"), bought(2029, purchase_id="S2")
        )

    def test_a_gap_is_filled_first(self) -> None:
        given = [admitted(), opened(1), bought(2027)]
        spec().given(*given).when(buy(2, purchase_id="S2")).then(
            opened(2, purchase_id="S2"), bought(2026, purchase_id="S2"),
            bought(2028, purchase_id="S2"),
        )  # fmt: skip

    def test_the_same_purchase_again_changes_nothing(self) -> None:
        spec().given(admitted(), opened(), bought(2026)).when(buy(1)).then()


class TestAPendingPurchase:
    def test_paying_it_all_pays_it_up(self) -> None:
        spec().given(admitted(), opened(), bought(2026)).when(
            RecordSharePayment("S1", "P1", 3000, DAY, "ops")
        ).then(paid(3000), paid_up())

    def test_a_partial_payment_keeps_it_open(self) -> None:
        spec().given(admitted(), opened(4, "B"), bought(2026, 4, "B")).when(
            RecordSharePayment("S1", "P1", 3000, DAY, "ops")
        ).then(paid(3000))

    def test_more_than_outstanding_is_refused(self) -> None:
        spec().given(admitted(), opened(), bought(2026), paid(1000)).when(
            RecordSharePayment("S1", "P2", 2001, DAY, "ops")
        ).raises(Overpayment)

    def test_the_same_payment_twice_counts_once(self) -> None:
        spec().given(admitted(), opened(4, "B"), bought(2026, 4, "B"), paid(3000)).when(
            RecordSharePayment("S1", "P1", 3000, DAY, "bank-statement")
        ).then()

    def test_its_status_goes_pending_partly_paid_paid(self) -> None:
        decider = shareholder_decider(MEMBER)
        history: list[DomainEvent] = [admitted(), opened(4, "B"), bought(2026, 4, "B")]
        statuses = []
        for event in [paid(2000, "P1"), paid(1000, "P2"), paid(9000, "P3"), paid_up()]:
            history.append(event)
            state = decider.fold(history)
            statuses.append(state.purchases["S1"].status)
        assert statuses == ["pending", "partly_paid", "partly_paid", "paid"]


class TestAShareholderLeaving:
    def test_resigning_in_the_first_six_months_is_accepted(self) -> None:
        june = dt.date(2026, 6, 30)
        spec().given(*holding_one_paid_share()).when(Resign(june, "resignation", 6)).then(
            MemberResigned(member_id=MEMBER, resigned_on=june, reason="resignation")
        )

    def test_resigning_in_july_is_refused(self) -> None:
        spec().given(*holding_one_paid_share()).when(
            Resign(dt.date(2026, 7, 1), "resignation", 6)
        ).raises(OutsideResignationWindow)

    def test_death_counts_as_resignation_at_any_time(self) -> None:
        november = dt.date(2026, 11, 3)
        spec().given(*holding_one_paid_share()).when(Resign(november, "death", 6)).then(
            MemberResigned(member_id=MEMBER, resigned_on=november, reason="death")
        )

    def test_no_redemption_before_resigning(self) -> None:
        spec().given(*holding_one_paid_share()).when(ApproveRedemption(DAY, 3000)).raises(
            RedemptionNotApprovable
        )


class TestAResignedShareholder:
    def given(self) -> list[DomainEvent]:
        partly = [opened(4, "B", "S2"), bought(2026, 4, "B", "S2"), paid(7500, "P2", "S2")]
        resigned = MemberResigned(member_id=MEMBER, resigned_on=DAY, reason="resignation")
        return [*holding_one_paid_share(), *partly, resigned]

    def test_the_repayment_is_capped_at_the_net_asset_value_per_share(self) -> None:
        # S1: 1 share, 3000 paid, cap 2500 → 2500; S2: 4 shares, 7500 paid, cap 10000 → 7500
        spec().given(*self.given()).when(ApproveRedemption(DAY, 2500)).then(
            ShareRedemptionApproved(
                member_id=MEMBER, quantity=5, paid_in_cents=10_500,
                net_asset_value_per_share_cents=2500, amount_cents=10_000, approved_on=DAY,
            )
        )  # fmt: skip

    def test_never_more_than_paid_in_however_rich_the_cooperative(self) -> None:
        events = (
            spec()
            .given(*self.given())
            .when(ApproveRedemption(DAY, 1_000_000))
            .then_types(ShareRedemptionApproved)
        )
        assert isinstance(events[0], ShareRedemptionApproved)
        assert events[0].amount_cents == 10_500

    def test_no_repayment_before_approval(self) -> None:
        spec().given(*self.given()).when(RedeemShares(DAY, 10_000)).raises(RedemptionNotApprovable)

    def test_after_approval_the_shares_are_redeemed_and_the_holder_holds_none(self) -> None:
        approved = ShareRedemptionApproved(
            member_id=MEMBER, quantity=5, paid_in_cents=10_500,
            net_asset_value_per_share_cents=2500, amount_cents=10_000, approved_on=DAY,
        )  # fmt: skip
        redeemed = ShareRedeemed(member_id=MEMBER, quantity=5, amount_cents=10_000, redeemed_on=DAY)
        spec().given(*self.given(), approved).when(RedeemShares(DAY, 10_000)).then(redeemed)
        state = shareholder_decider(MEMBER).fold([*self.given(), approved, redeemed])
        assert state.quantity == 0

    def test_a_repayment_other_than_approved_is_refused(self) -> None:
        approved = ShareRedemptionApproved(
            member_id=MEMBER, quantity=5, paid_in_cents=10_500,
            net_asset_value_per_share_cents=2500, amount_cents=10_000, approved_on=DAY,
        )  # fmt: skip
        spec().given(*self.given(), approved).when(RedeemShares(DAY, 10_500)).raises(
            RedemptionAmountMismatch
        )

    def test_buying_again_is_refused(self) -> None:
        spec().given(*self.given()).when(buy(1, purchase_id="S3")).raises(MemberHasLeft)

    def test_resigning_twice_changes_nothing(self) -> None:
        spec().given(*self.given()).when(Resign(DAY, "resignation", 6)).then()
