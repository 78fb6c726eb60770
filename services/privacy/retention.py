"""The holds on a member's (or a private client's) data as they stand: the facts from the read
model, the rules valid today, the pure rule of `domain.retention`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from services.privacy import client_projections, projections
from services.privacy.domain.client_erasure import ClientKind
from services.privacy.domain.retention import Hold, client_holds, holds
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

    # -- a private client's ------------------------------------------------------------------

    def current(self, timeout: float = FRESHNESS_TIMEOUT) -> bool:
        """Caught up with the log, in the tables of this version of the code (after an upgrade
        the old version's tables answer, frozen, until the new ones are rebuilt)."""
        return self.caught_up(timeout) and not self.views.stale

    def client_kind(self, client_id: str) -> ClientKind | None:
        """How the client is registered; None: not registered (callers decide on a current
        view, `current()`)."""
        with self.views.read() as conn:
            return client_projections.client_kind(conn, client_id)

    def client_holds(self, client_id: str, today: dt.date) -> tuple[Hold, ...]:
        with self.views.read() as conn:
            facts = client_projections.client_facts(conn, client_id)
        return client_holds(facts, retention_rules_on(today))

    def client_documents(self, client_id: str) -> tuple[Sequence[str], Sequence[str]]:
        """The invoices issued to the client and the payments assigned to them (ids)."""
        with self.views.read() as conn:
            return client_projections.client_documents(conn, client_id)
