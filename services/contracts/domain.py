"""Deciders of the contracts context: members, clients and prestations (DOMAIN.md §1).

Pure: ids, the acceptance token's hash, today's date, the parameters valid on the first day and
the facts found in other streams all come in through the commands.

Streams and events:
- `member_decider` on `member-<member_id>`: MemberRegistered, MemberDetailsCorrected; its state
  also folds FreePrestationUsed, which `prestation_decider` decides.
- `client_decider` on `client-<client_id>`: ClientRegistered, ClientDetailsCorrected.
- `prestation_decider` on `prestation-<prestation_id>`: everything else. EncodePrestation emits,
  in order, [FreePrestationUsed] (only for a member without a share this year: append it to
  `member-<member_id>` with the member stream's expected version), PrestationEncoded,
  QuoteIssued, EmploymentContractDrawnUp, DimonaDeclared (all to `prestation-<id>`);
  `MEMBER_STREAM_EVENTS` names the ones that go to the member stream.

Representation: money in int cents; hours as `Decimal` with at most 2 places; rates in
commands and events as the percentage strings people type ("21", "17.15").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypeVar, assert_never

from services.contracts import dimona, identifiers
from shared.decider import Conflict, Decider, DomainError, NotFound
from shared.events.base import DomainEvent
from shared.events.contracts import (
    Actor,
    ClientDetailsCorrected,
    ClientRegistered,
    DimonaAccepted,
    DimonaDeclared,
    DimonaKind,
    DimonaRefused,
    EmploymentContractAmended,
    EmploymentContractCancelled,
    EmploymentContractDrawnUp,
    Expense,
    FreePrestationUsed,
    Gender,
    MemberDetailsCorrected,
    MemberRegistered,
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
from shared.money import format_percent, percent, round_half_up
from shared.parameters import Cooperative, Parameters
from shared.salary import BudgetTooLow as BudgetTooLow  # re-exported: encoding raises it too
from shared.salary import SalaryBreakdown, salary_breakdown

MEMBER_STREAM_EVENTS: tuple[type[DomainEvent], ...] = (FreePrestationUsed,)

_HOURS_PLACES = Decimal("0.01")
_MAX_HOURS_PER_DAY = Decimal(24)
_GENDERS: dict[str, Gender] = {"F": "F", "M": "M", "X": "X"}

T = TypeVar("T")


# --- errors --------------------------------------------------------------------------------------


class MinimumHours(DomainError):
    code = "minimum-hours"


class BelowMinimumWage(DomainError):
    code = "below-minimum-wage"


class StartInPast(DomainError):
    code = "start-in-past"


class ShareRequired(DomainError):
    code = "share-required"


class InvalidDays(DomainError):
    """No day, a day twice, or hours that are not a number of hours (0 < h ≤ 24, 2 decimals)."""

    code = "invalid-days"


class InvalidAmount(DomainError):
    code = "invalid-amount"


class InvalidVatRate(DomainError):
    code = "invalid-vat-rate"


class InvalidWithholdingRate(DomainError):
    code = "invalid-withholding-rate"


class InvalidDetails(DomainError):
    """Contact data or a description that cannot be right (empty name, malformed email…)."""

    code = "invalid-details"


class UnknownMember(DomainError):
    code = "unknown-member"


class UnknownClient(DomainError):
    code = "unknown-client"


class InvalidAcceptanceToken(DomainError):
    code = "invalid-acceptance-token"
    status = 403


class QuoteNotPending(Conflict):
    code = "quote-not-pending"


class QuoteNoLongerValid(Conflict):
    """Acceptance on or after the first day: the quote had to be accepted before it."""

    code = "quote-expired"


class QuoteStillValid(Conflict):
    """ExpireQuote before the first day."""

    code = "quote-still-valid"


class AlreadyStarted(Conflict):
    code = "already-started"


class PrestationClosed(Conflict):
    """The prestation was rejected, expired or cancelled: nothing more can change."""

    code = "prestation-closed"


class PrestationAlreadyExists(Conflict):
    code = "prestation-already-exists"


class MemberAlreadyRegistered(Conflict):
    code = "member-already-registered"


class ClientAlreadyRegistered(Conflict):
    code = "client-already-registered"


class DimonaAlreadyAnswered(Conflict):
    code = "dimona-already-answered"


class PrestationNotFound(NotFound):
    code = "prestation-not-found"


class QuoteNotFound(NotFound):
    code = "quote-not-found"


class MemberNotFound(NotFound):
    code = "member-not-found"


class ClientNotFound(NotFound):
    code = "client-not-found"


class DeclarationNotFound(NotFound):
    code = "declaration-not-found"


def hash_acceptance_token(token: str) -> str:
    """SHA-256 (hex) of an acceptance token: what the quote keeps and what AcceptQuote carries."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- shared checks -------------------------------------------------------------------------------


def _required_text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidDetails(f"{field} must not be empty", field=field)
    return text


def _email(value: str) -> str:
    email = value.strip()
    local, at, domain = email.partition("@")
    if not local or not at or "." not in domain.strip(".") or any(c.isspace() for c in email):
        raise InvalidDetails(f"{value!r} is not an email address", field="email")
    return email


def _optional_text(value: str | None) -> str | None:
    """Stripped text; None when absent or blank."""
    if value is None:
        return None
    return value.strip() or None


def _maybe(value: str | None, check: Callable[[str], T]) -> T | None:
    """`check(value)` when a value was given."""
    return None if value is None else check(value)


def _changes(current: object, proposed: Mapping[str, object]) -> dict[str, object]:
    """The proposed values that differ from the current ones (None: not proposed)."""
    return {
        name: value
        for name, value in proposed.items()
        if value is not None and value != getattr(current, name)
    }


# --- members -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterMember:
    member_id: str
    first_name: str
    last_name: str
    email: str
    niss: str
    iban: str
    gender: Gender
    today: dt.date
    bic: str | None = None  # derived from a Belgian IBAN when absent
    address: str | None = None


@dataclass(frozen=True)
class CorrectMemberDetails:
    """Only the fields to correct are set. Correcting nothing, or to the same values, is a no-op."""

    member_id: str
    today: dt.date
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    niss: str | None = None
    iban: str | None = None
    bic: str | None = None
    gender: Gender | None = None
    address: str | None = None


MemberCommand = RegisterMember | CorrectMemberDetails


@dataclass(frozen=True)
class NoMember:
    pass


@dataclass(frozen=True)
class Member:
    member_id: str
    first_name: str
    last_name: str
    email: str
    niss: str
    iban: str
    bic: str | None
    gender: Gender
    address: str | None
    registered_on: dt.date
    free_uses_by_year: Mapping[int, int] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def free_prestations_used(self, year: int) -> int:
        return self.free_uses_by_year.get(year, 0)


MemberState = NoMember | Member


def _gender(value: str) -> Gender:
    try:
        return _GENDERS[value]
    except KeyError:
        raise InvalidDetails(
            f"gender must be one of {', '.join(_GENDERS)}", field="gender"
        ) from None


def _bank_details(iban: str, bic: str | None) -> tuple[str, str | None]:
    valid_iban = identifiers.iban(iban)
    if bic is not None:
        return valid_iban, identifiers.bic(bic)
    return valid_iban, identifiers.bic_of_belgian_iban(valid_iban)


def _register_member(command: RegisterMember, state: MemberState) -> list[DomainEvent]:
    if isinstance(state, Member):
        raise MemberAlreadyRegistered(f"member {command.member_id} is already registered")
    iban, bic = _bank_details(command.iban, command.bic)
    return [
        MemberRegistered(
            member_id=command.member_id,
            first_name=_required_text(command.first_name, "first_name"),
            last_name=_required_text(command.last_name, "last_name"),
            email=_email(command.email),
            niss=identifiers.niss(command.niss),
            iban=iban,
            bic=bic,
            gender=_gender(command.gender),
            address=_optional_text(command.address),
            registered_on=command.today,
        )
    ]


def _correct_member(command: CorrectMemberDetails, state: MemberState) -> list[DomainEvent]:
    if not isinstance(state, Member):
        raise MemberNotFound(f"no member {command.member_id}")
    proposed: dict[str, object] = {
        "first_name": _maybe(command.first_name, lambda v: _required_text(v, "first_name")),
        "last_name": _maybe(command.last_name, lambda v: _required_text(v, "last_name")),
        "email": _maybe(command.email, _email),
        "niss": _maybe(command.niss, identifiers.niss),
        "gender": _maybe(command.gender, _gender),
        "address": _optional_text(command.address),
    }
    if command.iban is not None or command.bic is not None:
        proposed["iban"], proposed["bic"] = _bank_details(
            command.iban if command.iban is not None else state.iban, command.bic
        )
    changes = _changes(state, proposed)
    if not changes:
        return []
    return [
        MemberDetailsCorrected.model_validate(
            {"member_id": state.member_id, "corrected_on": command.today, **changes}
        )
    ]


def decide_member(command: MemberCommand, state: MemberState) -> Sequence[DomainEvent]:
    match command:
        case RegisterMember():
            return _register_member(command, state)
        case CorrectMemberDetails():
            return _correct_member(command, state)
        case _:
            assert_never(command)


def evolve_member(state: MemberState, event: DomainEvent) -> MemberState:
    match event:
        case MemberRegistered():
            return Member(**event.model_dump())
        case MemberDetailsCorrected() if isinstance(state, Member):
            corrected = event.model_dump(exclude={"member_id", "corrected_on"}, exclude_none=True)
            return dataclasses.replace(state, **corrected)
        case FreePrestationUsed() if isinstance(state, Member):
            uses = {**state.free_uses_by_year, event.year: event.use_number}
            return dataclasses.replace(state, free_uses_by_year=uses)
        case _:
            return state


member_decider: Decider[MemberCommand, MemberState] = Decider(
    initial_state=NoMember, decide=decide_member, evolve=evolve_member
)


# --- clients -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterClient:
    client_id: str
    name: str
    email: str
    country: str  # ISO 3166 alpha-2, "BE"
    today: dt.date
    vat_number: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class CorrectClientDetails:
    """Only the fields to correct are set. Correcting nothing, or to the same values, is a no-op."""

    client_id: str
    today: dt.date
    name: str | None = None
    email: str | None = None
    country: str | None = None
    vat_number: str | None = None
    address: str | None = None


ClientCommand = RegisterClient | CorrectClientDetails


@dataclass(frozen=True)
class NoClient:
    pass


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    email: str
    country: str
    vat_number: str | None
    address: str | None
    registered_on: dt.date


ClientState = NoClient | Client


def _country(value: str) -> str:
    country = value.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidDetails(f"{value!r} is not a two-letter country code", field="country")
    return country


def _register_client(command: RegisterClient, state: ClientState) -> list[DomainEvent]:
    if isinstance(state, Client):
        raise ClientAlreadyRegistered(f"client {command.client_id} is already registered")
    country = _country(command.country)
    return [
        ClientRegistered(
            client_id=command.client_id,
            name=_required_text(command.name, "name"),
            email=_email(command.email),
            country=country,
            vat_number=_maybe(
                command.vat_number, lambda v: identifiers.vat_number(v, country=country)
            ),
            address=_optional_text(command.address),
            registered_on=command.today,
        )
    ]


def _correct_client(command: CorrectClientDetails, state: ClientState) -> list[DomainEvent]:
    if not isinstance(state, Client):
        raise ClientNotFound(f"no client {command.client_id}")
    country = _maybe(command.country, _country) or state.country
    proposed: dict[str, object] = {
        "name": _maybe(command.name, lambda v: _required_text(v, "name")),
        "email": _maybe(command.email, _email),
        "country": country,
        "vat_number": _maybe(
            command.vat_number, lambda v: identifiers.vat_number(v, country=country)
        ),
        "address": _optional_text(command.address),
    }
    changes = _changes(state, proposed)
    if not changes:
        return []
    return [
        ClientDetailsCorrected.model_validate(
            {"client_id": state.client_id, "corrected_on": command.today, **changes}
        )
    ]


def decide_client(command: ClientCommand, state: ClientState) -> Sequence[DomainEvent]:
    match command:
        case RegisterClient():
            return _register_client(command, state)
        case CorrectClientDetails():
            return _correct_client(command, state)
        case _:
            assert_never(command)


def evolve_client(state: ClientState, event: DomainEvent) -> ClientState:
    match event:
        case ClientRegistered():
            return Client(**event.model_dump())
        case ClientDetailsCorrected() if isinstance(state, Client):
            corrected = event.model_dump(exclude={"client_id", "corrected_on"}, exclude_none=True)
            return dataclasses.replace(state, **corrected)
        case _:
            return state


client_decider: Decider[ClientCommand, ClientState] = Decider(
    initial_state=NoClient, decide=decide_client, evolve=evolve_client
)


# --- prestations: commands -----------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """A day as encoded: its date and the hours worked (a Decimal, at most 2 places)."""

    date: dt.date
    hours: Decimal


@dataclass(frozen=True)
class ExpenseLine:
    description: str
    amount_cents: int


@dataclass(frozen=True)
class MemberFacts:
    """What the handler knows of the encoding member (see `member_facts`)."""

    niss: str
    has_share_this_year: bool  # a category A share covers today's calendar year
    free_prestations_used_this_year: int


def member_facts(
    state: MemberState, share_years: Collection[int], today: dt.date
) -> MemberFacts | None:
    """The facts EncodePrestation needs, from the folded member stream and the years covered
    by the member's category A shares (from ShareBought); None when there is no such member."""
    if isinstance(state, NoMember):
        return None
    return MemberFacts(
        niss=state.niss,
        has_share_this_year=today.year in share_years,
        free_prestations_used_this_year=state.free_prestations_used(today.year),
    )


@dataclass(frozen=True)
class EncodePrestation:
    """Encode a prestation and produce its quote, employment contract and DIMONA IN.

    `member` is None when the member is unknown. `parameters` are those valid on the first day
    (`parameters_on(min(day.date for day in days))`; on `today` when no day is given). The free
    uses and the share are counted in `today`'s calendar year.
    """

    prestation_id: str
    quote_id: str
    contract_id: str
    declaration_id: str
    acceptance_token_sha256: str
    today: dt.date
    member_id: str
    member: MemberFacts | None
    client_id: str
    client_registered: bool
    description: str
    days: tuple[Day, ...]
    amount_excl_vat_cents: int
    vat_rate: str
    withholding_rate: str
    parameters: Parameters
    cooperative: Cooperative
    expenses: tuple[ExpenseLine, ...] = ()


@dataclass(frozen=True)
class AcceptQuote:
    """By the client, presenting the SHA-256 of its token; or by ops, without one."""

    prestation_id: str
    quote_id: str
    accepted_by: Actor
    today: dt.date
    presented_token_sha256: str | None = None


@dataclass(frozen=True)
class RejectQuote:
    """Cancels the contract and, when the IN was not refused, declares a DIMONA CANCEL."""

    prestation_id: str
    quote_id: str
    rejected_by: Actor
    today: dt.date
    declaration_id: str  # for the DIMONA CANCEL
    presented_token_sha256: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ExpireQuote:
    """No acceptance by the end of the first day: applies when `today` is after the first day
    and the quote is still pending; a no-op once the quote was accepted, rejected or expired."""

    prestation_id: str
    today: dt.date
    declaration_id: str  # for the DIMONA CANCEL


@dataclass(frozen=True)
class CancelPrestation:
    prestation_id: str
    today: dt.date
    declaration_id: str  # for the DIMONA CANCEL
    cancelled_by: str
    reason: str | None = None


@dataclass(frozen=True)
class AmendPrestation:
    """New days (dates or hours) before the prestation starts; every encoding rule applies again,
    with `parameters` valid on the new first day. The same days again is a no-op."""

    prestation_id: str
    days: tuple[Day, ...]
    today: dt.date
    declaration_id: str  # for the DIMONA UPDATE (or a new IN when the last one was refused)
    parameters: Parameters
    cooperative: Cooperative


@dataclass(frozen=True)
class RecordDimonaAnswer:
    """The ONSS result of a declaration: A accepted, W accepted with warnings, B refused.
    Recording the same outcome twice is a no-op."""

    prestation_id: str
    declaration_id: str
    result: Literal["A", "W", "B"]
    answered_on: dt.date
    period_id: int | None = None  # the ONSS dimonaPeriodId, given with an accepted IN
    anomalies: tuple[str, ...] = ()


PrestationCommand = (
    EncodePrestation
    | AcceptQuote
    | RejectQuote
    | ExpireQuote
    | CancelPrestation
    | AmendPrestation
    | RecordDimonaAnswer
)


# --- prestations: state --------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    declaration_id: str
    kind: DimonaKind
    refers_to: str | None
    status: Literal["pending", "accepted", "refused"] = "pending"
    period_id: int | None = None


@dataclass(frozen=True)
class QuoteFacts:
    quote_id: str
    acceptance_token_sha256: str
    payment_term_days: int
    issued_on: dt.date


@dataclass(frozen=True)
class ContractFacts:
    contract_id: str
    niss: str
    days: tuple[WorkDay, ...]  # contract hours
    less_than_a_day: bool
    gross_per_day_cents: int
    daily_minimum_cents: int
    hourly_minimum: Decimal
    salary_estimate: SalaryEstimate
    drawn_up_on: dt.date


@dataclass(frozen=True)
class Prestation:
    """Everything known of a prestation, its quote, its contract and its DIMONA declarations.

    `quote` and `contract` are None only between the events of the encoding's single append.
    """

    prestation_id: str
    member_id: str
    client_id: str
    quote_id: str
    contract_id: str
    description: str
    days: tuple[WorkDay, ...]  # sorted by date, hours as encoded
    amount_excl_vat_cents: int
    vat_rate: str
    vat_cents: int
    total_cents: int
    expenses: tuple[Expense, ...]
    expenses_cents: int
    withholding_rate: str
    encoded_on: dt.date
    quote: QuoteFacts | None = None
    contract: ContractFacts | None = None
    declarations: tuple[Declaration, ...] = ()

    @property
    def first_day(self) -> dt.date:
        return self.days[0].date

    @property
    def last_day(self) -> dt.date:
        return self.days[-1].date

    @property
    def quote_valid_until(self) -> dt.date:
        """The last day to accept: the first day itself, so that a gig encoded for today can
        still be accepted before it begins (its DIMONA was declared at encoding)."""
        return self.first_day

    @property
    def niss(self) -> str:
        """The worker's NISS, as on the employment contract."""
        return self.contract.niss if self.contract else ""

    @property
    def current_in(self) -> Declaration | None:
        """The latest DIMONA IN: the one an UPDATE or CANCEL refers to."""
        return next((d for d in reversed(self.declarations) if d.kind == "IN"), None)


@dataclass(frozen=True)
class NoPrestation:
    @property
    def status(self) -> str:
        return "none"


@dataclass(frozen=True)
class Quoted:
    """Encoded; the quote waits for the client."""

    prestation: Prestation

    @property
    def status(self) -> str:
        return "quoted"


@dataclass(frozen=True)
class Accepted:
    prestation: Prestation
    accepted_by: Actor
    accepted_on: dt.date

    @property
    def status(self) -> str:
        return "accepted"


@dataclass(frozen=True)
class Closed:
    """Rejected, expired or cancelled: the contract is cancelled, nothing more can change."""

    prestation: Prestation
    outcome: Literal["rejected", "expired", "cancelled"]
    closed_on: dt.date

    @property
    def status(self) -> str:
        return self.outcome


PrestationState = NoPrestation | Quoted | Accepted | Closed


# --- prestations: encoding rules -----------------------------------------------------------------


def _checked_days(days: Sequence[Day], today: dt.date, params: Parameters) -> tuple[WorkDay, ...]:
    """The days, sorted, once they pass: well-formed, none before today, none under 3 hours."""
    if not days:
        raise InvalidDays("a prestation needs at least one day", field="days")
    seen: set[dt.date] = set()
    for index, day in enumerate(days):
        if day.date in seen:
            raise InvalidDays(f"{day.date} is encoded twice", field=f"days[{index}].date")
        seen.add(day.date)
        hours = day.hours
        if not hours.is_finite() or hours > _MAX_HOURS_PER_DAY or hours != _hours(hours):
            raise InvalidDays(
                f"{hours} is not a number of hours in a day (at most 24, 2 decimals)",
                field=f"days[{index}].hours",
            )
    first = min(range(len(days)), key=lambda index: days[index].date)
    if days[first].date < today:
        raise StartInPast(
            f"the first day {days[first].date} is before today {today}: DIMONA must precede "
            "the work",
            field=f"days[{first}].date",
        )
    for index, day in enumerate(days):
        if day.hours < params.minimum_work_hours:
            raise MinimumHours(
                f"{day.date}: {day.hours} h is under the minimum work period of "
                f"{params.minimum_work_hours} h",
                field=f"days[{index}].hours",
            )
    return tuple(
        WorkDay(date=day.date, hours=_hours(day.hours))
        for day in sorted(days, key=lambda d: d.date)
    )


def _hours(value: Decimal) -> Decimal:
    return value.quantize(_HOURS_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Money:
    vat_rate: str
    vat_fraction: Decimal
    withholding_rate: str
    withholding_fraction: Decimal
    expenses: tuple[Expense, ...]
    expenses_cents: int


def _checked_money(
    amount_excl_vat_cents: int,
    vat_rate: str,
    withholding_rate: str,
    expenses: Sequence[ExpenseLine],
    params: Parameters,
) -> _Money:
    if amount_excl_vat_cents <= 0:
        raise InvalidAmount("the price must be positive", field="amount_excl_vat_cents")
    for index, expense in enumerate(expenses):
        if expense.amount_cents < 0:
            raise InvalidAmount(
                "an expense cannot be negative", field=f"expenses[{index}].amount_cents"
            )
    allowed = {percent(rate): rate for rate in params.vat_rates}
    vat_fraction = _fraction(vat_rate)
    if vat_fraction is None or vat_fraction not in allowed:
        raise InvalidVatRate(
            f"VAT rate {vat_rate!r} is not one of {', '.join(sorted(params.vat_rates, key=int))}",
            field="vat_rate",
        )
    withholding = _fraction(withholding_rate)
    # A percentage with at most 2 decimals, from 0 included to 100 excluded.
    if withholding is None or not 0 <= withholding < 1 or withholding != round(withholding, 4):
        raise InvalidWithholdingRate(
            f"withholding rate {withholding_rate!r} must be a percentage from 0 to under 100, "
            "with at most 2 decimals",
            field="withholding_rate",
        )
    lines = tuple(
        Expense(description=line.description.strip(), amount_cents=line.amount_cents)
        for line in expenses
    )
    return _Money(
        vat_rate=allowed[vat_fraction],
        vat_fraction=vat_fraction,
        withholding_rate=format_percent(withholding),
        withholding_fraction=withholding,
        expenses=lines,
        expenses_cents=sum(line.amount_cents for line in lines),
    )


def _fraction(text: str) -> Decimal | None:
    try:
        return percent(text)
    except ValueError:
        return None


def employment_days(
    days: tuple[WorkDay, ...], gross_cents: int, params: Parameters
) -> tuple[tuple[WorkDay, ...], bool]:
    """The contract's days and whether it is a contract of less than a day.

    When the gross per day reaches the daily minimum, the contract keeps the encoded hours.
    Otherwise every day gets gross per day ÷ hourly minimum hours, rounded half-up to the
    hundredth (95.89 ÷ 12.8252 = 7.48 h); under the minimum work period that is refused.
    """
    if gross_cents >= params.daily_minimum_cents * len(days):
        return days, False
    gross_per_day = Decimal(gross_cents) / len(days) / 100
    hours = _hours(gross_per_day / params.hourly_minimum)
    if hours < params.minimum_work_hours:
        floor_per_day = params.hourly_minimum * params.minimum_work_hours
        raise BelowMinimumWage(
            f"a gross of €{gross_per_day:.2f} a day pays {hours} h at the hourly minimum wage "
            f"€{params.hourly_minimum}; a contract needs at least {params.minimum_work_hours} h, "
            f"so at least €{floor_per_day:.2f} gross a day: raise the price",
            field="amount_excl_vat_cents",
        )
    return tuple(WorkDay(date=day.date, hours=hours) for day in days), True


@dataclass(frozen=True)
class _Terms:
    """What the encoding rules make of the days and the money."""

    days: tuple[WorkDay, ...]
    breakdown: SalaryBreakdown
    contract_days: tuple[WorkDay, ...]
    less_than_a_day: bool

    @property
    def gross_per_day_cents(self) -> int:
        return round_half_up(Decimal(self.breakdown.gross_cents) / len(self.days))


def _terms(
    days: Sequence[Day],
    today: dt.date,
    amount_excl_vat_cents: int,
    money: _Money,
    params: Parameters,
) -> _Terms:
    checked = _checked_days(days, today, params)
    breakdown = salary_breakdown(
        amount_excl_vat_cents,
        money.vat_fraction,
        money.expenses_cents,
        money.withholding_fraction,
        params,
    )
    contract_days, less_than_a_day = employment_days(checked, breakdown.gross_cents, params)
    return _Terms(checked, breakdown, contract_days, less_than_a_day)


def _free_use(command: EncodePrestation, member: MemberFacts) -> list[DomainEvent]:
    if member.has_share_this_year:
        return []
    used = member.free_prestations_used_this_year
    allowed = command.parameters.free_prestations_without_share
    if used >= allowed:
        raise ShareRequired(
            f"without a share for {command.today.year}, a member may encode {allowed} "
            f"prestations; buy a share to encode more",
            field="member_id",
        )
    return [
        FreePrestationUsed(
            member_id=command.member_id,
            prestation_id=command.prestation_id,
            year=command.today.year,
            use_number=used + 1,
        )
    ]


def _estimate(breakdown: SalaryBreakdown) -> SalaryEstimate:
    return SalaryEstimate.model_validate(dataclasses.asdict(breakdown))


# --- prestations: DIMONA -------------------------------------------------------------------------


def _dimona_in(
    declaration_id: str,
    prestation_id: str,
    contract_id: str,
    cooperative: Cooperative,
    niss: str,
    terms: _Terms,
    today: dt.date,
) -> DimonaDeclared:
    hours_per_day = terms.contract_days[0].hours if terms.less_than_a_day else None
    return DimonaDeclared(
        declaration_id=declaration_id,
        prestation_id=prestation_id,
        contract_id=contract_id,
        kind="IN",
        refers_to_declaration_id=None,
        hours_per_day=hours_per_day,
        payload=dimona.dimona_in(
            cooperative,
            niss,
            terms.days[0].date,
            terms.days[-1].date,
            _planned_hours(terms),
        ),
        declared_on=today,
    )


def _planned_hours(terms: _Terms) -> int | None:
    if not terms.less_than_a_day:
        return None
    return dimona.planned_hours_number([day.hours for day in terms.contract_days])


def _dimona_change(
    prestation: Prestation,
    declaration_id: str,
    cooperative: Cooperative,
    terms: _Terms,
    today: dt.date,
) -> DimonaDeclared:
    """An UPDATE of the current IN; a new IN when there is none standing (it was refused)."""
    current = prestation.current_in
    if current is None or current.status == "refused":
        return _dimona_in(
            declaration_id,
            prestation.prestation_id,
            prestation.contract_id,
            cooperative,
            prestation.niss,
            terms,
            today,
        )
    return DimonaDeclared(
        declaration_id=declaration_id,
        prestation_id=prestation.prestation_id,
        contract_id=prestation.contract_id,
        kind="UPDATE",
        refers_to_declaration_id=current.declaration_id,
        hours_per_day=terms.contract_days[0].hours if terms.less_than_a_day else None,
        payload=dimona.dimona_update(
            current.period_id, terms.days[0].date, terms.days[-1].date, _planned_hours(terms)
        ),
        declared_on=today,
    )


def _dimona_cancel(
    prestation: Prestation, declaration_id: str, today: dt.date
) -> list[DomainEvent]:
    """A CANCEL of the current IN, unless the ONSS refused it (nothing was declared then)."""
    current = prestation.current_in
    if current is None or current.status == "refused":
        return []
    return [
        DimonaDeclared(
            declaration_id=declaration_id,
            prestation_id=prestation.prestation_id,
            contract_id=prestation.contract_id,
            kind="CANCEL",
            refers_to_declaration_id=current.declaration_id,
            hours_per_day=None,
            payload=dimona.dimona_cancel(current.period_id),
            declared_on=today,
        )
    ]


# --- prestations: decisions ----------------------------------------------------------------------


def _encode(command: EncodePrestation, state: PrestationState) -> list[DomainEvent]:
    if not isinstance(state, NoPrestation):
        raise PrestationAlreadyExists(f"prestation {command.prestation_id} already exists")
    member = command.member
    if member is None:
        raise UnknownMember(f"no member {command.member_id}", field="member_id")
    if not command.client_registered:
        raise UnknownClient(f"no client {command.client_id}", field="client_id")
    description = _required_text(command.description, "description")
    params = command.parameters
    money = _checked_money(
        command.amount_excl_vat_cents,
        command.vat_rate,
        command.withholding_rate,
        command.expenses,
        params,
    )
    terms = _terms(command.days, command.today, command.amount_excl_vat_cents, money, params)
    free_use = _free_use(command, member)
    breakdown = terms.breakdown
    first_day, last_day = terms.days[0].date, terms.days[-1].date
    return [
        *free_use,
        PrestationEncoded(
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            client_id=command.client_id,
            quote_id=command.quote_id,
            contract_id=command.contract_id,
            description=description,
            days=terms.days,
            first_day=first_day,
            last_day=last_day,
            amount_excl_vat_cents=command.amount_excl_vat_cents,
            vat_rate=money.vat_rate,
            vat_cents=breakdown.vat_cents,
            total_cents=breakdown.total_cents,
            expenses=money.expenses,
            expenses_cents=money.expenses_cents,
            withholding_rate=money.withholding_rate,
            encoded_on=command.today,
        ),
        QuoteIssued(
            quote_id=command.quote_id,
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            client_id=command.client_id,
            description=description,
            days=terms.days,
            amount_excl_vat_cents=command.amount_excl_vat_cents,
            vat_rate=money.vat_rate,
            vat_cents=breakdown.vat_cents,
            total_cents=breakdown.total_cents,
            payment_term_days=params.payment_term_days,
            valid_until=first_day,
            acceptance_token_sha256=command.acceptance_token_sha256,
            issued_on=command.today,
        ),
        EmploymentContractDrawnUp(
            contract_id=command.contract_id,
            prestation_id=command.prestation_id,
            member_id=command.member_id,
            niss=member.niss,
            description=description,
            days=terms.contract_days,
            less_than_a_day=terms.less_than_a_day,
            gross_per_day_cents=terms.gross_per_day_cents,
            daily_minimum_cents=params.daily_minimum_cents,
            hourly_minimum=params.hourly_minimum,
            withholding_rate=money.withholding_rate,
            salary_estimate=_estimate(breakdown),
            drawn_up_on=command.today,
        ),
        _dimona_in(
            command.declaration_id,
            command.prestation_id,
            command.contract_id,
            command.cooperative,
            member.niss,
            terms,
            command.today,
        ),
    ]


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


def _reject(command: RejectQuote, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    _check_quote(prestation, command.quote_id, command.rejected_by, command.presented_token_sha256)
    _pending(state, prestation)
    return [
        QuoteRejected(
            quote_id=prestation.quote_id,
            prestation_id=prestation.prestation_id,
            rejected_by=command.rejected_by,
            reason=_optional_text(command.reason),
            rejected_on=command.today,
        ),
        _contract_cancelled(prestation, "quote-rejected", command.today),
        *_dimona_cancel(prestation, command.declaration_id, command.today),
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
        *_dimona_cancel(prestation, command.declaration_id, command.today),
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
            reason=_optional_text(command.reason),
            cancelled_on=command.today,
        ),
        _contract_cancelled(prestation, "prestation-cancelled", command.today),
        *_dimona_cancel(prestation, command.declaration_id, command.today),
    ]


def _amend(command: AmendPrestation, state: PrestationState) -> list[DomainEvent]:
    prestation = _existing(state, command.prestation_id)
    _before_start(state, prestation, command.today)
    params = command.parameters
    expenses = [ExpenseLine(e.description, e.amount_cents) for e in prestation.expenses]
    money = _checked_money(
        prestation.amount_excl_vat_cents,
        prestation.vat_rate,
        prestation.withholding_rate,
        expenses,
        params,
    )
    terms = _terms(command.days, command.today, prestation.amount_excl_vat_cents, money, params)
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
            salary_estimate=_estimate(terms.breakdown),
            amended_on=command.today,
        ),
        _dimona_change(
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
            return _encode(command, state)
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


# --- prestations: evolution ----------------------------------------------------------------------


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


prestation_decider: Decider[PrestationCommand, PrestationState] = Decider(
    initial_state=NoPrestation, decide=decide_prestation, evolve=evolve_prestation
)
