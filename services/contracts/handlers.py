"""Command handling for the contracts service: load streams → decide → append.

Ids are derived, never looked up: a prestation `P` has quote `QP`, contract `CP` and DIMONA
declarations `DP-1`, `DP-2`… in order, so a quote or declaration id leads straight to its
stream and a retried command produces the same ids.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from services.contracts.domain import (
    MEMBER_STREAM_EVENTS,
    AcceptQuote,
    AmendPrestation,
    CancelPrestation,
    Client,
    ClientCommand,
    ClientState,
    Day,
    EncodePrestation,
    ExpenseLine,
    ExpireQuote,
    MemberCommand,
    MemberState,
    NoPrestation,
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
from shared.clock import Clock
from shared.events.base import Context, DomainEvent, deterministic_id
from shared.eventstore.codec import to_new_events
from shared.eventstore.handling import MAX_ATTEMPTS, Handled, Loaded, handle, load
from shared.eventstore.port import AppendRequest, AppendResult, EventStore, WrongExpectedVersion
from shared.parameters import cooperative, parameters_on

_PRESTATION_ID = re.compile(r"[0-9a-f]{32}")


def member_stream(member_id: str) -> str:
    return f"member-{member_id}"


def client_stream(client_id: str) -> str:
    return f"client-{client_id}"


def prestation_stream(prestation_id: str) -> str:
    return f"prestation-{prestation_id}"


def quote_id_of(prestation_id: str) -> str:
    return f"Q{prestation_id}"


def contract_id_of(prestation_id: str) -> str:
    return f"C{prestation_id}"


def prestation_id_from(document_id: str, prefix: str) -> str | None:
    """`Q<id>` / `C<id>` / `D<id>-<n>` → `<id>`, or None when it is not one of ours."""
    if not document_id.startswith(prefix):
        return None
    candidate = document_id[len(prefix) :].split("-", 1)[0]
    return candidate if _PRESTATION_ID.fullmatch(candidate) else None


def next_declaration_id(state: PrestationState) -> str:
    if isinstance(state, NoPrestation):
        raise AssertionError("a declaration belongs to an existing prestation")
    prestation = state.prestation
    return f"D{prestation.prestation_id}-{len(prestation.declarations) + 1}"


def new_id() -> str:
    return uuid.uuid4().hex


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
    acceptance_token: str  # shown once, to the encoder: only its hash is stored
    result: AppendResult


class ContractsHandlers:
    """The contracts service's use cases. Facts from other contexts (shares) come from this
    service's own projection, passed in as `share_years`."""

    def __init__(
        self, store: EventStore, clock: Clock, share_years: Callable[[str], set[int]]
    ) -> None:
        self.store = store
        self.clock = clock
        self.share_years = share_years

    # -- members and clients ---------------------------------------------------------------

    def member(self, member_id: str) -> Loaded[MemberState]:
        return load(self.store, member_stream(member_id), member_decider)

    def client(self, client_id: str) -> Loaded[ClientState]:
        return load(self.store, client_stream(client_id), client_decider)

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

    def on_member(
        self,
        member_id: str,
        command: MemberCommand,
        context: Context,
        *,
        if_match: int | None = None,
    ) -> Handled[MemberState]:
        stream = member_stream(member_id)
        return handle(self.store, stream, member_decider, command, context, if_match=if_match)

    def on_client(
        self,
        client_id: str,
        command: ClientCommand,
        context: Context,
        *,
        if_match: int | None = None,
    ) -> Handled[ClientState]:
        stream = client_stream(client_id)
        return handle(self.store, stream, client_decider, command, context, if_match=if_match)

    # -- prestations -----------------------------------------------------------------------

    def encode(self, draft: PrestationDraft, context: Context, prestation_id: str) -> Encoded:
        """One atomic append: the prestation's documents, and the member's free use if any."""
        token = secrets.token_urlsafe(24)
        today = self.clock.today()
        parameters = parameters_on(_rules_day(draft.days, today))
        for attempt in range(MAX_ATTEMPTS):
            member = self.member(draft.member_id)
            client = self.client(draft.client_id)
            prestation = load(self.store, prestation_stream(prestation_id), prestation_decider)
            command = EncodePrestation(
                prestation_id=prestation_id,
                quote_id=quote_id_of(prestation_id),
                contract_id=contract_id_of(prestation_id),
                declaration_id=f"D{prestation_id}-1",
                acceptance_token_sha256=hash_acceptance_token(token),
                today=today,
                member_id=draft.member_id,
                member=member_facts(member.state, self.share_years(draft.member_id), today),
                client_id=draft.client_id,
                client_registered=isinstance(client.state, Client),
                description=draft.description,
                days=draft.days,
                amount_excl_vat_cents=draft.amount_excl_vat_cents,
                vat_rate=draft.vat_rate,
                withholding_rate=draft.withholding_rate,
                parameters=parameters,
                cooperative=cooperative(),
                expenses=draft.expenses,
            )
            events = list(prestation_decider.decide(command, prestation.state))
            requests = _split_by_stream(events, prestation, member, context)
            try:
                result = self.store.append_many(requests)
            except WrongExpectedVersion:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                continue
            state = prestation_decider.fold(
                [e for e in events if not isinstance(e, MEMBER_STREAM_EVENTS)], prestation.state
            )
            return Encoded(prestation_id, state, token, result)
        raise AssertionError("unreachable")  # pragma: no cover

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

    def on_quote(
        self,
        quote_id: str,
        command: Callable[[str, PrestationState], PrestationCommand],
        context: Context,
    ) -> Handled[PrestationState]:
        """`command` gets the quote's prestation id and state; an unknown quote is a 404."""
        prestation_id = prestation_id_from(quote_id, "Q")
        if prestation_id is None:
            raise QuoteNotFound(f"no quote {quote_id}")
        try:
            return self.on_prestation(
                prestation_id, lambda state: command(prestation_id, state), context
            )
        except PrestationNotFound:
            raise QuoteNotFound(f"no quote {quote_id}") from None

    def accept_quote(
        self, quote_id: str, token: str | None, by_ops: bool, context: Context
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        return self.on_quote(
            quote_id,
            lambda prestation_id, _: AcceptQuote(
                prestation_id=prestation_id,
                quote_id=quote_id,
                accepted_by="ops" if by_ops and token is None else "client",
                today=today,
                presented_token_sha256=None if token is None else hash_acceptance_token(token),
            ),
            context,
        )

    def reject_quote(
        self, quote_id: str, token: str | None, by_ops: bool, reason: str | None, context: Context
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        return self.on_quote(
            quote_id,
            lambda prestation_id, state: RejectQuote(
                prestation_id=prestation_id,
                quote_id=quote_id,
                rejected_by="ops" if by_ops and token is None else "client",
                today=today,
                declaration_id=next_declaration_id(state),
                presented_token_sha256=None if token is None else hash_acceptance_token(token),
                reason=reason,
            ),
            context,
        )

    def cancel(
        self, prestation_id: str, reason: str | None, context: Context, if_match: int | None
    ) -> Handled[PrestationState]:
        today = self.clock.today()
        return self.on_prestation(
            prestation_id,
            lambda state: CancelPrestation(
                prestation_id=prestation_id,
                today=today,
                declaration_id=next_declaration_id(state),
                cancelled_by=context.actor,
                reason=reason,
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
        parameters = parameters_on(_rules_day(days, today))
        return self.on_prestation(
            prestation_id,
            lambda state: AmendPrestation(
                prestation_id=prestation_id,
                days=tuple(days),
                today=today,
                declaration_id=next_declaration_id(state),
                parameters=parameters,
                cooperative=cooperative(),
            ),
            context,
            if_match=if_match,
        )

    def expire(self, prestation_id: str, today: date, context: Context) -> Handled[PrestationState]:
        return self.on_prestation(
            prestation_id,
            lambda state: ExpireQuote(
                prestation_id=prestation_id,
                today=today,
                declaration_id=next_declaration_id(state),
            ),
            context,
        )

    def record_dimona_answer(
        self, answer: RecordDimonaAnswer, context: Context
    ) -> Handled[PrestationState]:
        return self.on_prestation(answer.prestation_id, lambda _: answer, context)


def _rules_day(days: Sequence[Day], today: date) -> date:
    """The day whose parameters apply: the first day. A first day in the past is refused by the
    decider (start-in-past), and may predate every parameter: today's stand in for it then."""
    return max(min((day.date for day in days), default=today), today)


def _split_by_stream(
    events: list[DomainEvent],
    prestation: Loaded[PrestationState],
    member: Loaded[MemberState],
    context: Context,
) -> list[AppendRequest]:
    """The member's free use goes to the member stream, expecting the version its count was
    read at: two concurrent encodings cannot both take the last free use."""
    own = [e for e in events if not isinstance(e, MEMBER_STREAM_EVENTS)]
    members = [e for e in events if isinstance(e, MEMBER_STREAM_EVENTS)]
    requests = [AppendRequest(prestation.stream, to_new_events(own, context), prestation.expected)]
    if members:
        requests.append(
            AppendRequest(member.stream, to_new_events(members, context), member.expected)
        )
    return requests


def idempotent_prestation_id(principal_key_id: str, idempotency_key: str | None) -> str:
    """With an Idempotency-Key, a retry after a crash lands on the same stream (and is refused
    as already existing) instead of creating a second prestation."""
    if idempotency_key is None:
        return new_id()
    return deterministic_id("prestation", principal_key_id, idempotency_key).hex
