"""The holds on a member's data as they stand: the facts from the read model, the rules valid
today, the pure rule of `domain.retention`."""

from __future__ import annotations

import datetime as dt

from services.privacy import projections
from services.privacy.domain.retention import Hold, holds
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.parameters_privacy import retention_rules_on

# A member registered a moment ago must be known: wait this long for the view to catch up.
FRESHNESS_TIMEOUT = 2.0


class Retention:
    def __init__(self, store: EventStore, views: ProjectionRunner) -> None:
        self.store = store
        self.views = views

    def caught_up(self, timeout: float = FRESHNESS_TIMEOUT) -> bool:
        return self.views.wait_for(self.store.head(), timeout=timeout)

    def is_member(self, member_id: str) -> bool:
        with self.views.read() as conn:
            if projections.is_member(conn, member_id):
                return True  # a member once registered stays one
        self.caught_up()
        with self.views.read() as conn:
            return projections.is_member(conn, member_id)

    def holds(self, member_id: str, today: dt.date) -> tuple[Hold, ...]:
        """Every rule that applies to the member's data on `today` (the view as it is: callers
        that decide wait for it first)."""
        with self.views.read() as conn:
            facts = projections.member_facts(conn, member_id)
        return holds(facts, retention_rules_on(today))
