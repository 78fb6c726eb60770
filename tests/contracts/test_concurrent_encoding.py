"""The last free prestation cannot be taken twice, whatever the interleaving."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

from services.contracts.domain import Day, ShareRequired
from services.contracts.handlers import ContractsHandlers, PrestationDraft
from shared.clock import SimulatedClock
from shared.events.base import Context
from shared.eventstore.sqlite import SQLiteEventStore

TODAY = date(2026, 3, 2)


def test_eight_concurrent_encodings_take_the_one_free_use_left_once(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    clock = SimulatedClock(store)
    context = Context.new("test")
    clock.set_today(TODAY)
    handlers = ContractsHandlers(store, clock, has_share=lambda member, year: False, secret=b"s")
    member = handlers.register_member(
        {"first_name": "Ada", "last_name": "Peeters", "email": "ada@example.be",
         "niss": "85073003328", "iban": "BE71096123456769", "gender": "F"},
        context,
    )  # fmt: skip
    member_id = member.events[0].member_id  # type: ignore[attr-defined]
    client = handlers.register_client(
        {"name": "Théâtre", "email": "t@example.be", "country": "BE"}, member_id, context
    )
    client_id = client.events[0].client_id  # type: ignore[attr-defined]
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
        handlers.encode(draft, context, by_staff=False)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def encode() -> None:
        start.wait()
        try:
            handlers.encode(draft, context, by_staff=False)
            outcomes.append("encoded")
        except ShareRequired:
            outcomes.append("share-required")

    threads = [threading.Thread(target=encode) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["encoded"] + ["share-required"] * 7
    state = handlers.member(member_id).state
    assert state.free_prestations_used(2026) == 3  # type: ignore[union-attr]
    prestations = {e.stream for e in store.read_all() if e.type == "PrestationEncoded"}
    assert len(prestations) == 3
    store.close()
