"""The contracts context's refusals: each a stable problem type (`minimum-hours`…)."""

from __future__ import annotations

from shared.decider import Conflict, DomainError, NotFound


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
