"""Free uses given back, given/when/then, grouped by state.

A member without a share takes one of its free prestations when encoding (FreePrestationUsed, on
the member stream). When that prestation is then cancelled, rejected or expired, the work will
not happen: the decision gives the use back (FreePrestationReturned, with the year it was taken,
which the handler reads on the member stream and passes as the command's `free_use_year`), and
the member's state counts it no more.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Literal

import pytest

from services.contracts.domain import (
    MEMBER_STREAM_EVENTS,
    CancelPrestation,
    ExpireQuote,
    Member,
    MemberFacts,
    NoPrestation,
    PrestationClosed,
    QuoteNotPending,
    RejectQuote,
    ShareRequired,
    member_decider,
    member_facts,
    prestation_decider,
)
from shared.events.base import DomainEvent
from shared.events.contracts import (
    DimonaDeclared,
    EmploymentContractCancelled,
    FreePrestationReturned,
    FreePrestationUsed,
    PrestationCancelled,
    QuoteExpired,
    QuoteRejected,
)
from tests.contracts.test_member_and_client import MEMBER_REGISTERED
from tests.contracts.test_prestation_decider import (
    ENCODING,
    NISS,
    QUOTE_ACCEPTED,
    SECOND_DAY,
    TODAY,
    cancel,
    cancel_declaration,
    contract_cancelled,
    encode,
    expire,
    reject,
    spec,
)

WITHOUT_A_SHARE = MemberFacts(NISS, has_share_this_year=False, free_prestations_used_this_year=0)
WITH_A_SHARE = MemberFacts(NISS, has_share_this_year=True, free_prestations_used_this_year=0)


def encoding(
    member: MemberFacts, today: date = TODAY
) -> tuple[list[DomainEvent], list[DomainEvent]]:
    """Encoding p1 for `member`, split as the handler appends it: (member stream, prestation)."""
    decided = prestation_decider.decide(encode(member=member, today=today), NoPrestation())
    to_member = [e for e in decided if isinstance(e, MEMBER_STREAM_EVENTS)]
    to_prestation = [e for e in decided if not isinstance(e, MEMBER_STREAM_EVENTS)]
    return [MEMBER_REGISTERED, *to_member], to_prestation


def member_of(stream: list[DomainEvent]) -> Member:
    state = member_decider.fold(stream)
    assert isinstance(state, Member)
    return state


def used(prestation_id: str, year: int, use_number: int) -> FreePrestationUsed:
    return FreePrestationUsed(
        member_id="m1", prestation_id=prestation_id, year=year, use_number=use_number
    )


Reason = Literal["prestation-cancelled", "quote-rejected", "quote-expired"]


def returned(
    reason: Reason, year: int = 2026, on: date = TODAY, prestation_id: str = "p1"
) -> FreePrestationReturned:
    return FreePrestationReturned(
        member_id="m1",
        prestation_id=prestation_id,
        year=year,
        reason=reason,
        returned_on=on,
    )


Closing = CancelPrestation | RejectQuote | ExpireQuote


def giving_back(command: Closing, year: int | None) -> Closing:
    return dataclasses.replace(command, free_use_year=year)


class TestQuotedWithAFreeUse:
    """The quote is pending; the member stream holds the FreePrestationUsed of p1."""

    def streams(self) -> tuple[list[DomainEvent], list[DomainEvent]]:
        member_stream, prestation = encoding(WITHOUT_A_SHARE)
        assert member_stream[1:] == [used("p1", 2026, 1)]
        return member_stream, prestation

    def test_cancelling_gives_the_free_use_back(self) -> None:
        member_stream, prestation = self.streams()
        year = member_of(member_stream).free_use_of("p1")
        spec().given(*prestation).when(giving_back(cancel(), year)).then(
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
            returned("prestation-cancelled"),
        )

    def test_rejecting_the_quote_gives_the_free_use_back(self) -> None:
        _, prestation = self.streams()
        events = (
            spec()
            .given(*prestation)
            .when(giving_back(reject(), 2026))
            .then_types(
                QuoteRejected, EmploymentContractCancelled, DimonaDeclared, FreePrestationReturned
            )
        )
        assert events[-1] == returned("quote-rejected")

    def test_an_expired_quote_gives_the_free_use_back(self) -> None:
        _, prestation = self.streams()
        events = (
            spec()
            .given(*prestation)
            .when(giving_back(expire(), 2026))
            .then_types(
                QuoteExpired, EmploymentContractCancelled, DimonaDeclared, FreePrestationReturned
            )
        )
        assert events[-1] == returned("quote-expired", on=SECOND_DAY)

    def test_the_use_is_given_back_in_the_year_it_was_taken(self) -> None:
        # Encoded in December 2025 for work in March 2026; cancelled in 2026.
        member_stream, prestation = encoding(WITHOUT_A_SHARE, today=date(2025, 12, 20))
        assert member_stream[1:] == [used("p1", 2025, 1)]
        year = member_of(member_stream).free_use_of("p1")
        events = (
            spec()
            .given(*prestation)
            .when(giving_back(cancel(), year))
            .then_types(
                PrestationCancelled,
                EmploymentContractCancelled,
                DimonaDeclared,
                FreePrestationReturned,
            )
        )
        assert events[-1] == returned("prestation-cancelled", year=2025)

    def test_the_member_counts_the_given_back_use_no_more(self) -> None:
        member_stream, prestation = self.streams()
        assert member_of(member_stream).free_prestations_used(2026) == 1
        closing = (
            spec()
            .given(*prestation)
            .when(giving_back(reject(), 2026))
            .then_types(
                QuoteRejected, EmploymentContractCancelled, DimonaDeclared, FreePrestationReturned
            )
        )
        to_member = [e for e in closing if isinstance(e, MEMBER_STREAM_EVENTS)]
        assert to_member == [returned("quote-rejected")]
        member = member_of([*member_stream, *to_member])
        assert (member.free_prestations_used(2026), member.free_use_of("p1")) == (0, None)


class TestQuotedWithoutAFreeUse:
    """A member with a share took no free use: `free_use_year` is None, nothing is given back."""

    def prestation(self) -> list[DomainEvent]:
        member_stream, prestation = encoding(WITH_A_SHARE)
        assert member_stream == [MEMBER_REGISTERED]
        assert member_of(member_stream).free_use_of("p1") is None
        return prestation

    def test_cancelling_gives_nothing_back(self) -> None:
        spec().given(*self.prestation()).when(giving_back(cancel(), None)).then_types(
            PrestationCancelled, EmploymentContractCancelled, DimonaDeclared
        )

    def test_rejecting_gives_nothing_back(self) -> None:
        spec().given(*self.prestation()).when(giving_back(reject(), None)).then_types(
            QuoteRejected, EmploymentContractCancelled, DimonaDeclared
        )

    def test_expiring_gives_nothing_back(self) -> None:
        spec().given(*self.prestation()).when(giving_back(expire(), None)).then_types(
            QuoteExpired, EmploymentContractCancelled, DimonaDeclared
        )


class TestAcceptedWithAFreeUse:
    def test_cancelling_an_accepted_prestation_gives_the_free_use_back(self) -> None:
        _, prestation = encoding(WITHOUT_A_SHARE)
        events = (
            spec()
            .given(*prestation, QUOTE_ACCEPTED)
            .when(giving_back(cancel(), 2026))
            .then_types(
                PrestationCancelled,
                EmploymentContractCancelled,
                DimonaDeclared,
                FreePrestationReturned,
            )
        )
        cancelled = events[0]
        assert isinstance(cancelled, PrestationCancelled)
        assert cancelled.was_accepted is True
        assert events[-1] == returned("prestation-cancelled")


class TestClosedWithAFreeUseGivenBack:
    """Rejected, expired or cancelled, with its use given back: it cannot be given back twice."""

    @pytest.fixture(params=["rejected", "expired", "cancelled"])
    def prestation(self, request: pytest.FixtureRequest) -> list[DomainEvent]:
        _, encoded = encoding(WITHOUT_A_SHARE)
        closings: dict[str, Closing] = {
            "rejected": reject(),
            "expired": expire(),
            "cancelled": cancel(),
        }
        closing = closings[request.param]
        decided = prestation_decider.decide(
            giving_back(closing, 2026), prestation_decider.fold(encoded)
        )
        assert any(isinstance(e, FreePrestationReturned) for e in decided)
        return [*encoded, *(e for e in decided if not isinstance(e, MEMBER_STREAM_EVENTS))]

    def test_expiring_again_gives_nothing_back(self, prestation: list[DomainEvent]) -> None:
        spec().given(*prestation).when(giving_back(expire(), 2026)).then()

    def test_it_cannot_be_cancelled_to_give_the_use_back_again(
        self, prestation: list[DomainEvent]
    ) -> None:
        spec().given(*prestation).when(giving_back(cancel(), 2026)).raises(PrestationClosed)

    def test_its_quote_cannot_be_rejected_to_give_the_use_back_again(
        self, prestation: list[DomainEvent]
    ) -> None:
        spec().given(*prestation).when(giving_back(reject(), 2026)).raises(QuoteNotPending)


class TestMemberWithFreeUses:
    def test_a_use_given_back_is_counted_no_more(self) -> None:
        member = member_of(
            [
                MEMBER_REGISTERED,
                used("p1", 2026, 1),
                used("p2", 2026, 2),
                returned("prestation-cancelled", prestation_id="p1"),
            ]
        )
        assert member.free_prestations_used(2026) == 1
        assert (member.free_use_of("p1"), member.free_use_of("p2")) == (None, 2026)

    def test_a_use_is_given_back_to_the_year_it_was_taken_in(self) -> None:
        member = member_of(
            [
                MEMBER_REGISTERED,
                used("p1", 2025, 3),
                used("p2", 2026, 1),
                returned("quote-expired", year=2025, prestation_id="p1"),
            ]
        )
        assert (member.free_prestations_used(2025), member.free_prestations_used(2026)) == (0, 1)

    def test_giving_back_a_use_never_taken_changes_nothing(self) -> None:
        history: list[DomainEvent] = [MEMBER_REGISTERED, used("p1", 2026, 1)]
        before = member_of(history)
        after = member_of([*history, returned("quote-rejected", prestation_id="p9")])
        assert after == before
        assert after.free_prestations_used(2026) == 1

    def test_after_a_use_is_given_back_the_member_may_encode_without_a_share_again(
        self,
    ) -> None:
        history: list[DomainEvent] = [
            MEMBER_REGISTERED,
            used("p7", 2026, 1),
            used("p8", 2026, 2),
            used("p9", 2026, 3),
        ]
        all_used = member_facts(member_of(history), set(), TODAY)
        assert all_used == MemberFacts(NISS, False, 3)
        spec().given().when(encode(member=all_used)).raises(ShareRequired)

        history.append(returned("prestation-cancelled", prestation_id="p8"))
        one_back = member_facts(member_of(history), set(), TODAY)
        assert one_back == MemberFacts(NISS, False, 2)
        events = (
            spec().given().when(encode(member=one_back)).then_types(FreePrestationUsed, *ENCODING)
        )
        assert events[0] == used("p1", 2026, 3)
