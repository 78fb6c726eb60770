"""Share transfers between two holders and corrections of a holder, given/when/then: given the
giver's and the receiver's events, when a transfer, then the events of each stream."""

from __future__ import annotations

import datetime as dt

import pytest

from services.governance.domain.holdings import Holder, Shareholder
from services.governance.domain.shares import (
    ApproveRedemption,
    CorrectHolder,
    MemberHasLeft,
    NotALegalPerson,
    ShareCommand,
    ShareholderNotFound,
    shareholder_decider,
)
from services.governance.domain.transfers import (
    ReceiverHasLeft,
    ReceiverNotAdmitted,
    SharesNotTransferable,
    TransferShares,
    TransferToSelf,
    transfer,
)
from shared.decider import DomainError, Spec
from shared.events.base import DomainEvent
from shared.events.governance import (
    Category,
    HolderDetailsCorrected,
    MemberResigned,
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    SharePurchaseOpened,
    ShareRedemptionApproved,
    SharesPaidUp,
    ShareTransferReceived,
    ShareTransferred,
    TransferLot,
)

GIVER, RECEIVER = "giver", "receiver"
DAY = dt.date(2026, 3, 2)
PERSON = Holder("person", "Bea Receiver", "Rue Neuve 3, 1000 Bruxelles", None)
LEGAL = Holder("legal", "Parc ASBL", "Rue de la Loi 1, 1000 Bruxelles", "0123456749")


def admitted(member: str, holder: Holder = PERSON) -> ShareholderAdmitted:
    return ShareholderAdmitted(
        member_id=member,
        kind=holder.kind,
        name=holder.name,
        domicile=holder.domicile,
        enterprise_number=holder.enterprise_number,
        admitted_on=DAY,
    )


def purchase(
    member: str,
    purchase_id: str,
    years: tuple[int, ...] = (),
    *,
    category: Category = "A",
    quantity: int | None = None,
    paid: bool = True,
) -> list[DomainEvent]:
    """A purchase of `years` (A: one share each) or of `quantity` B shares, paid up or not."""
    count = len(years) if category == "A" else quantity or 1
    amount = 3000 * count
    events: list[DomainEvent] = [
        SharePurchaseOpened(
            purchase_id=purchase_id,
            member_id=member,
            category=category,
            quantity=count,
            amount_cents=amount,
            minimum_upfront_cents=amount,
            structured_reference="+++x+++",
            opened_on=DAY,
        )
    ]
    parts = [(y, 1) for y in years] if category == "A" else [(DAY.year, count)]
    events.extend(
        ShareBought(
            purchase_id=purchase_id,
            member_id=member,
            category=category,
            quantity=q,
            year=y,
            unit_price_cents=3000,
            bought_on=DAY,
        )
        for y, q in parts
    )
    if paid:
        events.append(
            SharePaymentReceived(
                purchase_id=purchase_id,
                member_id=member,
                payment_id=f"P{purchase_id}",
                amount_cents=amount,
                received_on=DAY,
                source="ops",
            )
        )
        events.append(SharesPaidUp(purchase_id=purchase_id, member_id=member, paid_on=DAY))
    return events


def state(member: str, *events: DomainEvent) -> Shareholder:
    return shareholder_decider(member).fold(events)


def move(
    quantity: int,
    category: Category = "A",
    *,
    receiver: Holder | None = PERSON,
    admitted_on: dt.date | None = None,
    transfer_id: str = "T1",
) -> TransferShares:
    return TransferShares(transfer_id, category, quantity, DAY, receiver, admitted_on)


def given(
    giver: list[DomainEvent], receiver: list[DomainEvent], command: TransferShares
) -> tuple[list[DomainEvent], list[DomainEvent]]:
    return transfer(command, state(GIVER, *giver), state(RECEIVER, *receiver))


def refused(
    giver: list[DomainEvent],
    receiver: list[DomainEvent],
    command: TransferShares,
    error: type[DomainError],
) -> DomainError:
    with pytest.raises(error) as raised:
        given(giver, receiver, command)
    return raised.value


def a_worker_covering_2026_to_2028() -> list[DomainEvent]:
    return [admitted(GIVER), *purchase(GIVER, "S1", (2026, 2027, 2028))]


def a_shareholder() -> list[DomainEvent]:
    return [admitted(RECEIVER), *purchase(RECEIVER, "R1", (2026,))]


class TestAWorkerTransferringToAShareholder:
    def test_the_latest_years_go_first_and_the_receiver_covers_its_next_years(self) -> None:
        out, into = given(a_worker_covering_2026_to_2028(), a_shareholder(), move(2))
        lot = TransferLot(lot_id="S1", quantity=2, years=(2027, 2028), paid_in_cents=6000)
        assert out == [
            ShareTransferred(
                transfer_id="T1",
                member_id=GIVER,
                to_member_id=RECEIVER,
                category="A",
                quantity=2,
                years=(2028, 2027),
                lots=(lot,),
                paid_in_cents=6000,
                transferred_on=DAY,
            )
        ]
        assert into == [
            ShareTransferReceived(
                transfer_id="T1",
                member_id=RECEIVER,
                from_member_id=GIVER,
                category="A",
                quantity=2,
                years=(2027, 2028),
                paid_in_cents=6000,
                received_on=DAY,
            )
        ]

    def test_the_share_covering_the_current_year_stays(self) -> None:
        error = refused(
            a_worker_covering_2026_to_2028(), a_shareholder(), move(3), SharesNotTransferable
        )
        assert error.field == "quantity" and "2026 stays" in str(error)

    def test_pending_shares_do_not_transfer(self) -> None:
        giver = [admitted(GIVER), *purchase(GIVER, "S1", (2026, 2027), paid=False)]
        refused(giver, a_shareholder(), move(1), SharesNotTransferable)

    def test_past_years_go_after_future_ones(self) -> None:
        giver = [
            admitted(GIVER),
            *purchase(GIVER, "S0", (2024, 2025)),
            *purchase(GIVER, "S1", (2026, 2027)),
        ]
        out, _ = given(giver, a_shareholder(), move(2))
        assert isinstance(out[0], ShareTransferred)
        assert out[0].years == (2027, 2025)
        assert [lot.lot_id for lot in out[0].lots] == ["S1", "S0"]

    def test_afterwards_each_holds_and_covers_what_moved(self) -> None:
        giver, receiver = a_worker_covering_2026_to_2028(), a_shareholder()
        out, into = given(giver, receiver, move(2))
        after_giver, after_receiver = state(GIVER, *giver, *out), state(RECEIVER, *receiver, *into)
        assert (after_giver.quantity, after_giver.years_covered) == (1, {2026})
        assert after_giver.paid_in_cents == 3000
        assert (after_receiver.quantity, after_receiver.years_covered) == (3, {2026, 2027, 2028})
        assert after_receiver.paid_in_cents == 9000

    def test_shares_received_are_repaid_at_most_what_they_carried(self) -> None:
        receiver = a_shareholder()
        _, into = given(a_worker_covering_2026_to_2028(), receiver, move(2))
        resigned = MemberResigned(member_id=RECEIVER, resigned_on=DAY, reason="resignation")
        Spec(shareholder_decider(RECEIVER)).given(*receiver, *into, resigned).when(
            ApproveRedemption(DAY, 2500)
        ).then(
            ShareRedemptionApproved(
                member_id=RECEIVER,
                quantity=3,
                paid_in_cents=9000,
                net_asset_value_per_share_cents=2500,
                amount_cents=7500,
                approved_on=DAY,
            )
        )

    def test_shares_received_can_be_passed_on(self) -> None:
        receiver = a_shareholder()
        _, into = given(a_worker_covering_2026_to_2028(), receiver, move(2))
        third = [admitted("third"), *purchase("third", "X1", (2026,))]
        out, _ = transfer(
            TransferShares("T2", "A", 2, DAY, PERSON),
            state(RECEIVER, *receiver, *into),
            state("third", *third),
        )
        assert isinstance(out[0], ShareTransferred)
        assert [(lot.lot_id, lot.years) for lot in out[0].lots] == [("T1", (2027, 2028))]

    def test_the_same_transfer_again_changes_nothing(self) -> None:
        giver, receiver = a_worker_covering_2026_to_2028(), a_shareholder()
        out, into = given(giver, receiver, move(2))
        assert given([*giver, *out], [*receiver, *into], move(2)) == ([], [])


class TestAPartnerTransferringCategoryB:
    def giver(self) -> list[DomainEvent]:
        return [
            admitted(GIVER),
            *purchase(GIVER, "B1", category="B", quantity=2),
            *purchase(GIVER, "B2", category="B", quantity=5),
            *purchase(GIVER, "B3", category="B", quantity=4, paid=False),
        ]

    def test_lots_are_taken_in_the_order_they_came_and_all_may_go(self) -> None:
        out, _ = given(self.giver(), a_shareholder(), move(7, "B"))
        assert isinstance(out[0], ShareTransferred)
        assert [(lot.lot_id, lot.quantity) for lot in out[0].lots] == [("B1", 2), ("B2", 5)]
        assert (out[0].years, out[0].paid_in_cents) == ((), 21_000)

    def test_unpaid_b_shares_stay(self) -> None:
        refused(self.giver(), a_shareholder(), move(8, "B"), SharesNotTransferable)

    def test_to_a_legal_person_the_board_admitted(self) -> None:
        _, into = given(self.giver(), [], move(1, "B", receiver=LEGAL, admitted_on=DAY))
        assert into[0] == admitted(RECEIVER, LEGAL)
        assert isinstance(into[1], ShareTransferReceived) and into[1].board_admitted_on == DAY


class TestTheReceiver:
    def test_a_person_holding_no_share_needs_the_board_s_admission(self) -> None:
        error = refused(a_worker_covering_2026_to_2028(), [], move(1), ReceiverNotAdmitted)
        assert error.field == "to_member_id"

    def test_once_admitted_by_the_board_it_enters_the_register(self) -> None:
        _, into = given(a_worker_covering_2026_to_2028(), [], move(1, admitted_on=DAY))
        assert [type(e) for e in into] == [ShareholderAdmitted, ShareTransferReceived]
        assert isinstance(into[1], ShareTransferReceived) and into[1].years == (2026,)

    def test_an_admission_after_the_transfer_is_refused(self) -> None:
        later = DAY + dt.timedelta(days=1)
        error = refused(
            a_worker_covering_2026_to_2028(), [], move(1, admitted_on=later), ReceiverNotAdmitted
        )
        assert error.field == "board_admitted_on"

    def test_a_category_a_share_never_goes_to_a_legal_person(self) -> None:
        error = refused(
            a_worker_covering_2026_to_2028(),
            [],
            move(1, receiver=LEGAL, admitted_on=DAY),
            SharesNotTransferable,
        )
        assert error.field == "category"

    def test_not_to_oneself(self) -> None:
        giver = a_worker_covering_2026_to_2028()
        with pytest.raises(TransferToSelf):
            transfer(move(1), state(GIVER, *giver), state(GIVER, *giver))

    def test_not_to_a_member_who_resigned(self) -> None:
        left = MemberResigned(member_id=RECEIVER, resigned_on=DAY, reason="resignation")
        refused(
            a_worker_covering_2026_to_2028(), [*a_shareholder(), left], move(1), ReceiverHasLeft
        )

    def test_nor_from_one(self) -> None:
        left = MemberResigned(member_id=GIVER, resigned_on=DAY, reason="resignation")
        refused([*a_worker_covering_2026_to_2028(), left], a_shareholder(), move(1), MemberHasLeft)


class TestCorrectingAHolder:
    def spec(self) -> Spec[ShareCommand, Shareholder]:
        return Spec(shareholder_decider(RECEIVER))

    def test_a_new_domicile_holds_from_the_day_it_is_recorded(self) -> None:
        later = dt.date(2026, 5, 4)
        self.spec().given(*a_shareholder()).when(
            CorrectHolder("C1", later, "member-details", domicile="Rue Haute 9, 1000 Bruxelles")
        ).then(
            HolderDetailsCorrected(
                member_id=RECEIVER,
                correction_id="C1",
                name=PERSON.name,
                domicile="Rue Haute 9, 1000 Bruxelles",
                enterprise_number=None,
                corrected_on=later,
                source="member-details",
            )
        )

    def test_the_same_correction_followed_twice_counts_once(self) -> None:
        first = HolderDetailsCorrected(
            member_id=RECEIVER,
            correction_id="C1",
            name=PERSON.name,
            domicile="Elsewhere",
            enterprise_number=None,
            corrected_on=DAY,
            source="member-details",
        )
        self.spec().given(*a_shareholder(), first).when(
            CorrectHolder("C1", DAY, "member-details", domicile="Elsewhere")
        ).then()

    def test_nothing_changed_nothing_recorded(self) -> None:
        self.spec().given(*a_shareholder()).when(
            CorrectHolder("C2", DAY, "ops", name=PERSON.name)
        ).then()

    def test_only_a_legal_person_has_an_enterprise_number(self) -> None:
        self.spec().given(*a_shareholder()).when(
            CorrectHolder("C3", DAY, "ops", enterprise_number="0123456749")
        ).raises(NotALegalPerson)

    def test_no_holder_no_correction(self) -> None:
        self.spec().given().when(CorrectHolder("C4", DAY, "ops", name="X")).raises(
            ShareholderNotFound
        )
