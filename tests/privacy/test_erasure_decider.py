"""The erasure request decider, given/when/then, by the state of the member's erasure stream."""

from __future__ import annotations

import datetime as dt

from services.privacy.domain.erasure import (
    AlreadyErased,
    CarryOutErasure,
    Command,
    Erasure,
    ErasureAlreadyRequested,
    MemberNotFound,
    NoErasureRequested,
    RequestErasure,
    RetentionNotOver,
    erasure_decider,
)
from services.privacy.domain.retention import Hold
from shared.decider import Spec
from shared.events.privacy import EndedHold, ErasureRequested, PersonalDataErased

MEMBER = "m" * 32
TODAY = dt.date(2026, 3, 2)
REQUESTED = ErasureRequested(
    request_id="r1", member_id=MEMBER, requested_by="member", requested_on=TODAY
)
ERASED = PersonalDataErased(
    request_id="r1",
    member_id=MEMBER,
    subjects=(f"member/{MEMBER}",),
    carried_out_on=dt.date(2031, 3, 12),
)


def spec() -> Spec[Command, Erasure]:
    return Spec(erasure_decider)


def request(*, known: bool = True, request_id: str = "r1") -> RequestErasure:
    return RequestErasure(
        member_id=MEMBER, request_id=request_id, requested_by="member", today=TODAY,
        member_known=known,
    )  # fmt: skip


def hold(ends_on: dt.date | None, rule: str = "social_documents") -> Hold:
    return Hold(rule, "Social documents", "AR 8 août 1980", "contract C1, last day",  # type: ignore[arg-type]
                dt.date(2026, 3, 11), ends_on)  # fmt: skip


def carry_out(today: dt.date, *holds: Hold) -> CarryOutErasure:
    return CarryOutErasure(member_id=MEMBER, today=today, holds=holds)


class TestNoRequestYet:
    def test_a_known_member_requests_erasure(self) -> None:
        spec().given().when(request()).then(REQUESTED)

    def test_an_unknown_member_is_not_found(self) -> None:
        error = spec().given().when(request(known=False)).raises(MemberNotFound)
        assert error.status == 404 and error.code == "member-not-found"

    def test_nothing_to_carry_out(self) -> None:
        spec().given().when(carry_out(TODAY)).raises(NoErasureRequested)


class TestPending:
    def test_a_second_request_is_refused_while_the_first_is_pending(self) -> None:
        error = (
            spec()
            .given(REQUESTED)
            .when(request(request_id="r2"))
            .raises(ErasureAlreadyRequested, match="r1")
        )
        assert error.status == 409

    def test_a_hold_not_ended_keeps_the_data(self) -> None:
        ends = dt.date(2031, 3, 11)
        spec().given(REQUESTED).when(carry_out(ends, hold(ends))).raises(
            RetentionNotOver, match="Social documents"
        )

    def test_a_hold_without_end_keeps_the_data_whatever_the_date(self) -> None:
        spec().given(REQUESTED).when(carry_out(dt.date(2099, 1, 1), hold(None))).raises(
            RetentionNotOver
        )

    def test_the_day_after_every_hold_ended_the_data_is_erased(self) -> None:
        social = hold(dt.date(2031, 3, 11))
        accounting = hold(dt.date(2036, 12, 31), "accounting_documents")
        when = dt.date(2037, 1, 1)
        spec().given(REQUESTED).when(carry_out(when, social, accounting)).then(
            PersonalDataErased(
                request_id="r1",
                member_id=MEMBER,
                subjects=(f"member/{MEMBER}",),
                carried_out_on=when,
                ended_holds=(
                    EndedHold(rule="social_documents", ends_on=dt.date(2031, 3, 11)),
                    EndedHold(rule="accounting_documents", ends_on=dt.date(2036, 12, 31)),
                ),
            )
        )

    def test_without_any_hold_the_data_is_erased_at_once(self) -> None:
        spec().given(REQUESTED).when(carry_out(TODAY)).then_types(PersonalDataErased)


class TestDone:
    def test_carrying_out_again_decides_nothing(self) -> None:
        spec().given(REQUESTED, ERASED).when(carry_out(dt.date(2040, 1, 1))).then()

    def test_a_new_request_is_refused(self) -> None:
        spec().given(REQUESTED, ERASED).when(request(request_id="r2")).raises(
            AlreadyErased, match="2031-03-12"
        )

    def test_the_state_says_when_and_whose_keys(self) -> None:
        state = erasure_decider.fold([REQUESTED, ERASED])
        assert state.pending is None
        done = state.request("r1")
        assert done is not None
        assert (done.carried_out_on, done.subjects) == (dt.date(2031, 3, 12), (f"member/{MEMBER}",))
