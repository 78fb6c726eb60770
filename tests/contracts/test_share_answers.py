"""The encoding asks the shares view whether a share covers the year: a yes is remembered (a
share once bought stays bought), a no is asked again, since a share may be bought meanwhile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from services.contracts.domain import Day
from services.contracts.handlers import ContractsHandlers, PrestationDraft
from shared.clock import SimulatedClock
from shared.events.base import Context
from shared.eventstore.sqlite import SQLiteEventStore

TODAY = date(2026, 3, 2)


def test_a_covered_year_is_asked_once_and_an_uncovered_one_each_time(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    clock = SimulatedClock(store)
    clock.set_today(TODAY)
    context = Context.new("test")
    asked: list[tuple[str, int]] = []
    covered: set[str] = set()

    def has_share(member_id: str, year: int) -> bool:
        asked.append((member_id, year))
        return member_id in covered

    handlers = ContractsHandlers(store, clock, has_share=has_share, secret=b"s")
    members = []
    for name, niss in (("Ada", "85073003328"), ("Bea", "90020212372")):
        member = handlers.register_member(
            {"first_name": name, "last_name": "Peeters", "email": f"{name}@example.be",
             "niss": niss, "iban": "BE71096123456769", "gender": "F"},
            context,
        )  # fmt: skip
        members.append(member.events[0].member_id)  # type: ignore[attr-defined]
    ada, bea = members
    client = handlers.register_client(
        {"name": "Théâtre", "email": "t@example.be", "country": "BE"}, None, context
    )
    client_id = client.events[0].client_id  # type: ignore[attr-defined]
    covered.add(ada)

    for n in range(3):
        for member_id in (ada, bea):
            draft = PrestationDraft(
                member_id=member_id, client_id=client_id, description=f"Gig {n}",
                days=(Day(date(2026, 3, 10 + n), Decimal("8")),), amount_excl_vat_cents=100_000,
                vat_rate="21", withholding_rate="22",
            )  # fmt: skip
            handlers.encode(draft, Context.new("test"), by_staff=True)

    assert asked.count((ada, 2026)) == 1
    assert asked.count((bea, 2026)) == 3
    store.close()
