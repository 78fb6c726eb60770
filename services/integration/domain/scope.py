"""What a caller may read of the log, and the filter a request ends up with.

A request's filter is never wider than its caller's scope: a `categories` or `types` filter
naming something outside it is refused (403), an absent one means "all of my scope". Every
read path (pages, streams, SSE, webhooks) goes through `narrow`, and every event read is
checked again with `allows`, so a cursor crafted by hand only moves where reading starts.

Personal fields (issue 13's markings) reach a reader only when its grant says
`personal_data`; otherwise `services.integration.cloud` leaves them out of `data`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.decider import DomainError
from shared.events.integration import FeedScopeGranted


class OutOfScope(DomainError):
    code = "out-of-scope"
    status = 403


class InvalidScope(DomainError):
    code = "invalid-scope"
    status = 422


@dataclass(frozen=True, slots=True)
class Scope:
    """`None` on an axis: no restriction (staff). An empty set: nothing."""

    categories: frozenset[str] | None
    types: frozenset[str] | None
    personal_data: bool = False

    def allows(self, category: str, event_type: str) -> bool:
        return (self.categories is None or category in self.categories) and (
            self.types is None or event_type in self.types
        )

    @property
    def is_empty(self) -> bool:
        return self.categories == frozenset() or self.types == frozenset()


# Streams that carry secrets or the feed's own bookkeeping: no grant may name them.
INTERNAL_CATEGORIES = frozenset({"apikey", "feedscope", "webhook", "chainseal"})
EVERYTHING = Scope(None, None, personal_data=True)
NOTHING = Scope(frozenset(), frozenset())


def scope_of_grant(grant: FeedScopeGranted | None) -> Scope:
    """A partner with no grant reads nothing (deny by default)."""
    if grant is None:
        return NOTHING
    return Scope(
        frozenset(grant.categories),
        frozenset(grant.types) if grant.types else None,
        grant.personal_data,
    )


@dataclass(frozen=True, slots=True)
class Narrowed:
    """The filter a request reads with: plain tuples for the store's `EventFilter`
    (empty: unrestricted on that axis), and the scope every event is checked against."""

    categories: tuple[str, ...]
    types: tuple[str, ...]
    scope: Scope

    def allows(self, category: str, event_type: str) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.types or event_type in self.types)
            and self.scope.allows(category, event_type)
        )


def narrow(scope: Scope, categories: Sequence[str], types: Sequence[str]) -> Narrowed:
    """The request's filter within `scope`; OutOfScope when it asks for more."""
    wanted_categories = _unique(categories)
    wanted_types = _unique(types)
    if scope.categories is not None:
        outside = sorted(set(wanted_categories) - scope.categories)
        if outside:
            raise OutOfScope(
                f"categories {outside} are outside this key's scope", field="categories"
            )
        wanted_categories = wanted_categories or tuple(sorted(scope.categories))
    if scope.types is not None:
        outside = sorted(set(wanted_types) - scope.types)
        if outside:
            raise OutOfScope(f"types {outside} are outside this key's scope", field="types")
        wanted_types = wanted_types or tuple(sorted(scope.types))
    return Narrowed(wanted_categories, wanted_types, scope)


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def check_grant(categories: Sequence[str], types: Sequence[str]) -> None:
    """A grant names at least one category: a partner never gets "everything" by omission."""
    if not [c for c in categories if c]:
        raise InvalidScope("a feed scope names at least one category", field="categories")
    bad = [c for c in categories if not c.isalnum() or c != c.lower()]
    if bad:
        raise InvalidScope(
            f"categories are lowercase letters and digits: {bad}", field="categories"
        )
    internal = sorted(INTERNAL_CATEGORIES.intersection(categories))
    if internal:
        raise InvalidScope(f"categories {internal} are never shared", field="categories")
