"""Business dates are Brussels dates: in the first hours of a day, UTC still says yesterday."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from services.contracts.domain import Day, QuoteNoLongerValid, StartInPast
from services.contracts.handlers import ContractsHandlers, PrestationDraft
from shared.clock import SystemClock
from shared.events.base import Context
from shared.eventstore.sqlite import SQLiteEventStore

MEMBER = {
    "first_name": "Ada", "last_name": "Peeters", "email": "ada@example.be",
    "niss": "85073003328", "iban": "BE71096123456769", "gender": "F",
}  # fmt: skip


class Instant:
    """The system clock's source of "now", moved by the test."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __call__(self) -> datetime:
        return self.value


def _handlers(tmp_path: Path, instant: Instant) -> tuple[ContractsHandlers, str, str]:
    store = SQLiteEventStore(str(tmp_path / "events.sqlite"))
    handlers = ContractsHandlers(store, SystemClock(instant), lambda m, y: True, b"secret")
    context = Context.new("test")
    member = handlers.register_member(MEMBER, context).state
    client = handlers.register_client(
        {"name": "Théâtre", "email": "t@example.be", "country": "BE"}, None, context
    ).state
    return handlers, member.member_id, client.client_id  # type: ignore[union-attr]


def _draft(member_id: str, client_id: str, day: date) -> PrestationDraft:
    return PrestationDraft(
        member_id, client_id, "Gig", (Day(day, Decimal(8)),), 100_000, "21", "22"
    )


@pytest.mark.parametrize(
    "utc",
    [
        datetime(2026, 3, 9, 23, 30, tzinfo=UTC),  # 00:30 in Brussels (winter, +01:00)
        datetime(2026, 7, 9, 22, 30, tzinfo=UTC),  # 00:30 in Brussels (summer, +02:00)
    ],
)
def test_after_midnight_in_brussels_yesterday_is_in_the_past(tmp_path: Path, utc: datetime) -> None:
    handlers, member_id, client_id = _handlers(tmp_path, Instant(utc))
    yesterday = utc.date()  # still "today" in UTC

    with pytest.raises(StartInPast):
        handlers.encode(_draft(member_id, client_id, yesterday), Context.new("t"), by_staff=True)


def test_a_quote_cannot_be_accepted_once_its_first_day_is_over_in_brussels(
    tmp_path: Path,
) -> None:
    instant = Instant(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    handlers, member_id, client_id = _handlers(tmp_path, instant)
    encoded = handlers.encode(
        _draft(member_id, client_id, date(2026, 3, 10)), Context.new("t"), by_staff=True
    )
    instant.value = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # 00:30 on the 11th in Brussels

    with pytest.raises(QuoteNoLongerValid):
        handlers.accept_quote(
            f"Q{encoded.prestation_id}", encoded.acceptance_token, False, Context.new("client")
        )


def test_the_free_use_of_new_years_night_counts_in_the_new_year(tmp_path: Path) -> None:
    store_path = tmp_path / "events.sqlite"
    instant = Instant(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30, 1 January 2027
    store = SQLiteEventStore(str(store_path))
    handlers = ContractsHandlers(store, SystemClock(instant), lambda m, y: False, b"secret")
    context = Context.new("test")
    member = handlers.register_member(MEMBER, context).state
    client = handlers.register_client(
        {"name": "Théâtre", "email": "t@example.be", "country": "BE"}, None, context
    ).state
    member_id = member.member_id  # type: ignore[union-attr]
    handlers.encode(
        _draft(member_id, client.client_id, date(2027, 1, 5)),  # type: ignore[union-attr]
        context,
        by_staff=True,
    )

    state = handlers.member(member_id).state
    assert (state.free_prestations_used(2026), state.free_prestations_used(2027)) == (0, 1)  # type: ignore[union-attr]
