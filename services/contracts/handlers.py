"""Command handling for the contracts service: load streams → decide → append.

Ids are derived, never looked up (`services.contracts.ids`).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.contracts.domain import (
    MEMBER_STREAM_EVENTS,
    AcceptQuote,
    AmendPrestation,
    CancelPrestation,
    Client,
    Day,
    EncodePrestation,
    ExpenseLine,
    ExpireQuote,
    Member,
    NoPrestation,
    Prestation,
    PrestationCommand,
    PrestationNotFound,
    PrestationState,
    QuoteNotFound,
    RecordDimonaAnswer,
    RejectQuote,
    client_decider,
    hash_acceptance_token,
    member_decider,
    member_facts,
    prestation_decider,
)
from services.contracts.ids import (
    acceptance_token,
    client_stream,
    contract_id_of,
    creation_id,
    member_stream,
    next_declaration_id,
    prestation_id_from,
    prestation_stream,
    quote_id_of,
)
from services.contracts.parties import PartyHandlers
from shared.clock import Clock
from shared.decider import DomainError
from shared.events.base import Context, DomainEvent
from shared.eventstore.handling import (
    Handled,
    Job,
    Loaded,
    Part,
    handle,
    handle_batch,
    handle_many,
    load,
)
from shared.eventstore.port import AppendResult, EventStore
from shared.parameters import Parameters, cooperative, parameters_on


@functools.lru_cache(maxsize=4096)
def _parameters_on(day: date) -> Parameters:
    """`parameters_on`, remembered per day: the book is read once per process, so a day's
    answer never changes, and the lookup scans every dated period (an encoding asks three
    times: a sixth of its handler's time)."""
    return parameters_on(day)


@dataclass(frozen=True)
class PrestationDraft:
    member_id: str
    client_id: str
    description: str
    days: tuple[Day, ...]
    amount_excl_vat_cents: int
    vat_rate: str
    withholding_rate: str
    expenses: tuple[ExpenseLine, ...] = ()


@dataclass(frozen=True)
class Encoded:
    prestation_id: str
    state: PrestationState
    acceptance_token: str  # derived from the server secret: only its hash is stored
    result: AppendResult
    version: int | None
    replayed: bool = False  # a retry: the first attempt's answer


class ContractsHandlers(PartyHandlers):
    """The contracts service's use cases. Facts from other contexts (shares) come from this
    service's own projection, passed in as `has_share(member_id, year)`; `secret` derives the
    clients' acceptance tokens."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        has_share: Callable[[str, int], bool],
        secret: bytes,
    ) -> None:
        super().__init__(store, clock)
        self.has_share = has_share
        self.secret = secret

    # -- prestations -----------------------------------------------------------------------

    def prestation(self, prestation_id: str) -> Loaded[PrestationState]:
        loaded = load(self.store, prestation_stream(prestation_id), prestation_decider)
        if isinstance(loaded.state, NoPrestation):
            raise PrestationNotFound(f"no prestation {prestation_id}")
        return loaded

    def prestation_of_quote(self, quote_id: str) -> Loaded[PrestationState]:
        prestation_id = prestation_id_from(quote_id, "Q")
        if prestation_id is None:
            raise QuoteNotFound(f"no quote {quote_id}")
        try:
            return self.prestation(prestation_id)
        except PrestationNotFound:
            raise QuoteNotFound(f"no quote {quote_id}") from None

    @staticmethod
    def token_matches(state: PrestationState, token: str) -> bool:
        if isinstance(state, NoPrestation) or state.prestation.quote is None:
            return False
        expected = state.prestation.quote.acceptance_token_sha256
        return hmac.compare_digest(expected, hash_acceptance_token(token))

    def encode(self, draft: PrestationDraft, context: Context, *, by_staff: bool) -> Encoded:
        """One atomic append: the prestation's documents, and the member's free use if any.

        A member encodes only with a client of its own (or shared with it); staff with any.
        """
        prestation_id = creation_id("prestation", context)
        quote_id = quote_id_of(prestation_id)
        token = acceptance_token(self.secret, quote_id)
        today = self.clock.today()
        parameters = _parameters_on(_rules_day(draft.days, today))
        day_parameters = _parameters_by_day(draft.days, today)
        share_this_year = self.has_share(draft.member_id, today.year)

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            prestation, member, client = (part.state for part in loaded)
            command = EncodePrestation(
                prestation_id=prestation_id,
                quote_id=quote_id,
                contract_id=contract_id_of(prestation_id),
                declaration_id=f"D{prestation_id}-1",
                acceptance_token_sha256=hash_acceptance_token(token),
                today=today,
                member_id=draft.member_id,
                member=member_facts(member, {today.year} if share_this_year else (), today),
                client_id=draft.client_id,
                client_registered=isinstance(client, Client)
                and (by_staff or client.usable_by(draft.member_id)),
                description=draft.description,
                days=draft.days,
                amount_excl_vat_cents=draft.amount_excl_vat_cents,
                vat_rate=draft.vat_rate,
                withholding_rate=draft.withholding_rate,
                parameters=parameters,
                day_parameters=day_parameters,
                cooperative=cooperative(),
                expenses=draft.expenses,
            )
            # The client is read, never written: its list stays empty.
            return [*_by_stream(prestation_decider.decide(command, prestation)), []]

        handled, _, _ = handle_many(
            self.store,
            [
                Part(prestation_stream(prestation_id), prestation_decider),
                Part(member_stream(draft.member_id), member_decider),
                Part(client_stream(draft.client_id), client_decider),
            ],
            decide,
            context,
        )
        if handled.result is None:
            raise RuntimeError("an encoding appends its documents or raises")
        return Encoded(
            prestation_id, handled.state, token, handled.result, handled.version, handled.replayed
        )

    def on_prestation(
        self,
        prestation_id: str,
        command: Callable[[PrestationState], PrestationCommand],
        context: Context,
        *,
        if_match: int | None = None,
    ) -> Handled[PrestationState]:
        def on_existing(state: PrestationState) -> PrestationCommand:
            if isinstance(state, NoPrestation):
                raise PrestationNotFound(f"no prestation {prestation_id}")
            return command(state)

        stream = prestation_stream(prestation_id)
        return handle(
            self.store, stream, prestation_decider, on_existing, context, if_match=if_match
        )

    def closing(
        self,
        prestation_id: str,
        command: Callable[[PrestationState, int | None], PrestationCommand],
        context: Context,
        *,
        if_match: int | None = None,
    ) -> Handled[PrestationState]:
        """A command that may close the prestation: `command` gets its state and the year of
        the free use it took (from the member stream), which closing it gives back, appended
        atomically to the member stream with the version it was read at."""
        member_id = _existing(self.prestation(prestation_id).state).member_id

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            prestation, member = (part.state for part in loaded)
            if isinstance(prestation, NoPrestation):
                raise PrestationNotFound(f"no prestation {prestation_id}")
            free_use = member.free_use_of(prestation_id) if isinstance(member, Member) else None
            return _by_stream(prestation_decider.decide(command(prestation, free_use), prestation))

        handled, _ = handle_many(
            self.store,
            [
                Part(prestation_stream(prestation_id), prestation_decider),
                Part(member_stream(member_id), member_decider),
            ],
            decide,
            context,
            if_match=if_match,
        )
        return handled

    def _prestation_of_quote_id(self, quote_id: str) -> str:
        prestation_id = prestation_id_from(quote_id, "Q")
        if prestation_id is None:
            raise QuoteNotFound(f"no quote {quote_id}")
        return prestation_id

    def accept_quote(
        self, quote_id: str, token: str | None, by_ops: bool, context: Context
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        prestation_id = self._prestation_of_quote_id(quote_id)
        try:
            return self.on_prestation(
                prestation_id,
                lambda _: AcceptQuote(
                    prestation_id=prestation_id,
                    quote_id=quote_id,
                    accepted_by="ops" if by_ops and token is None else "client",
                    today=today,
                    presented_token_sha256=None if token is None else hash_acceptance_token(token),
                ),
                context,
            )
        except PrestationNotFound:
            raise QuoteNotFound(f"no quote {quote_id}") from None

    def reject_quote(
        self, quote_id: str, token: str | None, by_ops: bool, reason: str | None, context: Context
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        prestation_id = self._prestation_of_quote_id(quote_id)
        try:
            return self.closing(
                prestation_id,
                lambda state, free_use: RejectQuote(
                    prestation_id=prestation_id,
                    quote_id=quote_id,
                    rejected_by="ops" if by_ops and token is None else "client",
                    today=today,
                    declaration_id=next_declaration_id(state),
                    presented_token_sha256=None if token is None else hash_acceptance_token(token),
                    reason=reason,
                    free_use_year=free_use,
                ),
                context,
            )
        except PrestationNotFound:
            raise QuoteNotFound(f"no quote {quote_id}") from None

    def cancel(
        self, prestation_id: str, reason: str | None, context: Context, if_match: int | None
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        return self.closing(
            prestation_id,
            lambda state, free_use: CancelPrestation(
                prestation_id=prestation_id,
                today=today,
                declaration_id=next_declaration_id(state),
                cancelled_by=context.actor,
                reason=reason,
                free_use_year=free_use,
            ),
            context,
            if_match=if_match,
        )

    def amend(
        self,
        prestation_id: str,
        days: Sequence[Day],
        context: Context,
        if_match: int | None,
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        parameters = _parameters_on(_rules_day(days, today))
        day_parameters = _parameters_by_day(days, today)
        return self.on_prestation(
            prestation_id,
            lambda state: AmendPrestation(
                prestation_id=prestation_id,
                days=tuple(days),
                today=today,
                declaration_id=next_declaration_id(state),
                parameters=parameters,
                day_parameters=day_parameters,
                cooperative=cooperative(),
            ),
            context,
            if_match=if_match,
        )

    def expire(self, prestation_id: str, today: date, context: Context) -> Handled[PrestationState]:
        return self.closing(
            prestation_id,
            lambda state, free_use: ExpireQuote(
                prestation_id=prestation_id,
                today=today,
                declaration_id=next_declaration_id(state),
                free_use_year=free_use,
            ),
            context,
        )

    def record_dimona_answer(
        self, answer: RecordDimonaAnswer, context: Context
    ) -> Handled[PrestationState]:
        return self.on_prestation(answer.prestation_id, lambda _: answer, context)

    def record_dimona_answers(
        self, answers: Sequence[tuple[RecordDimonaAnswer, Context]]
    ) -> list[Handled[Any] | DomainError]:
        """Answers to declarations of distinct prestations, recorded in one append (an
        answer reads no personal value: the streams are folded sealed)."""
        jobs = [
            Job(prestation_stream(a.prestation_id), prestation_decider, a, context, reveal=False)
            for a, context in answers
        ]
        return handle_batch(self.store, jobs)


def _rules_day(days: Sequence[Day], today: date) -> date:
    """The day whose parameters apply: the first day. A first day in the past is refused by the
    decider (start-in-past), and may predate every parameter: today's stand in for it then."""
    return max(min((day.date for day in days), default=today), today)


def _parameters_by_day(days: Sequence[Day], today: date) -> dict[date, Parameters]:
    """The parameters valid on each day worked: its minimum wage is the one valid that day."""
    return {day.date: _parameters_on(max(day.date, today)) for day in days}


def _existing(state: PrestationState) -> Prestation:
    if isinstance(state, NoPrestation):
        raise PrestationNotFound("no such prestation")
    return state.prestation


def _by_stream(events: Sequence[DomainEvent]) -> list[list[DomainEvent]]:
    """A prestation decision's events: those of the prestation stream, then the member's."""
    return [
        [e for e in events if not isinstance(e, MEMBER_STREAM_EVENTS)],
        [e for e in events if isinstance(e, MEMBER_STREAM_EVENTS)],
    ]
