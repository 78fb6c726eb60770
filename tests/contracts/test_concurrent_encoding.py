"""The last free prestation cannot be taken twice, whatever the interleaving."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

from services.contracts.domain import Day, RegisterClient, RegisterMember, ShareRequired
from services.contracts.handlers import ContractsHandlers, PrestationDraft, new_id
from shared.clock import SimulatedClock
from shared.events.base import Context
from shared.eventstore.sqlite import SQLiteEventStore

TODAY = date(2026, 3, 2)


def test_eight_concurrent_encodings_take_the_one_free_use_left_once(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    clock = SimulatedClock(store)
    context = Context.new("test")
    clock.set_today(TODAY, context)
    handlers = ContractsHandlers(store, clock, share_years=lambda member_id: set())
    member_id, client_id = new_id(), new_id()
    handlers.on_member(
        member_id,
        RegisterMember(member_id, "Ada", "Peeters", "ada@example.be", "85073003328",
                       "BE71096123456769", "F", TODAY),
        context,
    )  # fmt: skip
    handlers.on_client(
        client_id, RegisterClient(client_id, "Théâtre", "t@example.be", "BE", TODAY), context
    )
    draft = PrestationDraft(
        member_id=member_id,
        client_id=client_id,
        description="Gig",
        days=(Day(date(2026, 3, 10), Decimal("8")),),
        amount_excl_vat_cents=100_000,
        vat_rate="21",
        withholding_rate="22",
    )
    for _ in range(2):
        handlers.encode(draft, context, new_id())
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def encode() -> None:
        start.wait()
        try:
            handlers.encode(draft, context, new_id())
            outcomes.append("encoded")
        except ShareRequired:
            outcomes.append("share-required")

    threads = [threading.Thread(target=encode) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["encoded"] + ["share-required"] * 7
    member = handlers.member(member_id).state
    assert member.free_prestations_used(2026) == 3  # type: ignore[union-attr]
    prestations = {e.stream for e in store.read_all() if e.type == "PrestationEncoded"}
    assert len(prestations) == 3
    store.close()
