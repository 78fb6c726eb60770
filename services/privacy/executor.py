"""Carrying erasures out: when business time has passed every hold of a pending request,
`PersonalDataErased` on the member's erasure stream (`ClientPersonalDataErased` on a private
client's), then the deletion of the person's keys.

Two steps, each safe to repeat. `record_due` appends the event through the decider, which
decides nothing for a request already carried out. `erase_keys` deletes the keys an event
names; a reaction on both events calls it at least once (from its checkpoint after a restart),
so a crash between the event and the deletion still ends with the keys erased.
`run_once` does both at once, and a thread runs it every `interval` seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from services.privacy import keys, projections
from services.privacy.domain.client_erasure import CarryOutClientErasure, ClientRequest
from services.privacy.domain.erasure import Request, RetentionNotOver
from services.privacy.domain.retention import all_ended
from services.privacy.handlers import PrivacyHandlers
from services.privacy.retention import Retention
from shared.events.base import Context, Envelope
from shared.events.privacy import ClientPersonalDataErased, PersonalDataErased
from shared.eventstore.reactions import ReactionRunner
from shared.ticking import Ticker

log = logging.getLogger(__name__)
ACTOR = "system:privacy-erasure"
PAGE = 200  # pending requests read at a time
CATCH_UP_TIMEOUT = 30.0
Erased = PersonalDataErased | ClientPersonalDataErased


class ErasureExecutor:
    name = "privacy-erasure"

    def __init__(
        self,
        handlers: PrivacyHandlers,
        retention: Retention,
        checkpoint_db: Path | str,
        *,
        interval: float = 60.0,
    ) -> None:
        self.handlers = handlers
        self.retention = retention
        self.keys = ReactionRunner(
            handlers.store, "privacy-key-erasure",
            ("PersonalDataErased", "ClientPersonalDataErased"), self._react, checkpoint_db,
        )  # fmt: skip
        self.last_erased: str | None = None
        self.ticker = Ticker("privacy-erasure", self.run_once, interval)
        self._following = False

    # -- the two steps -----------------------------------------------------------------------

    def record_due(self) -> list[Erased]:
        """Appends `PersonalDataErased` (`ClientPersonalDataErased`) for every pending request
        none of whose holds remains on today's date; returns what it appended. Decides on the
        facts up to the head."""
        if not self.retention.current(CATCH_UP_TIMEOUT):
            raise TimeoutError("the privacy view is behind the log: no erasure decided")
        today = self.handlers.clock.today()
        appended: list[Erased] = []
        after: int | None = None
        while True:
            with self.retention.views.read() as conn:
                page, after = projections.request_page(conn, "pending", after, PAGE)
            for request in page:
                try:
                    appended.extend(self._due(request, today))
                except RetentionNotOver:
                    continue  # the facts moved since: the next tick decides again
            if after is None:
                return appended

    def _due(self, request: Request | ClientRequest, today: dt.date) -> list[Erased]:
        if isinstance(request, ClientRequest):
            return self._client_due(request.client_id, today)
        return self._member_due(request.member_id, today)

    def _member_due(self, member_id: str, today: dt.date) -> list[Erased]:
        holds = self.retention.holds(member_id, today)
        if not all_ended(holds, today):
            return []
        handled = self.handlers.carry_out(member_id, holds, today, self._context())
        return [e for e in handled.events if isinstance(e, PersonalDataErased)]

    def _client_due(self, client_id: str, today: dt.date) -> list[Erased]:
        holds = self.retention.client_holds(client_id, today)
        if not all_ended(holds, today):
            return []
        invoice_ids, payment_ids = self.retention.client_documents(client_id)
        command = CarryOutClientErasure(
            client_id, today, holds, tuple(invoice_ids), tuple(payment_ids)
        )
        handled = self.handlers.carry_out_client(command, self._context())
        return [e for e in handled.events if isinstance(e, ClientPersonalDataErased)]

    def _context(self) -> Context:
        return Context.new(ACTOR, self.handlers.clock.now())

    @staticmethod
    def erase_keys(erased: Erased) -> None:
        for subject in erased.subjects:
            keys.erase(subject)

    def run_once(self) -> list[Erased]:
        appended = self.record_due()
        for erased in appended:
            self.erase_keys(erased)
            self.last_erased = erased.request_id
        if appended:
            log.info("privacy: %d erasure(s) carried out", len(appended))
        return appended

    def _react(self, envelope: Envelope) -> None:
        if isinstance(envelope.event, PersonalDataErased | ClientPersonalDataErased):
            self.erase_keys(envelope.event)

    # -- the lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self.keys.start()
        self.ticker.start()

    def follow(self) -> None:
        """The background process carries erasures out: this one only reports."""
        self._following = True
        self.keys.follow()

    def stop(self) -> None:
        self.ticker.stop()
        self.keys.stop()

    def status(self) -> dict[str, object]:
        """The key reaction's progress, with the scheduler's state."""
        report = {**self.keys.status(), "name": self.name, "running": self.ticker.running}
        if not self._following:
            report["last_erased"] = self.last_erased
            report["error"] = self.ticker.last_error
        return report
