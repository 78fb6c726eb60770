"""Collection of late invoices: which reminder is due today, and what may be claimed.

Pure: today's date, the dated parameters and the invoice's history are arguments; nothing here
reads a clock or a store. The daily scheduler asks `next_reminder` for each overdue invoice and
`late_claims` for what the invoice carries on top of its principal.

Business clients (law of 2 August 2002): interest from the day after the due date, without
notice (art. 5), and the flat €40 once per late invoice (art. 6); every reminder may claim both.

Private clients (Code of economic law book XIX, art. XIX.2-XIX.4): the first reminder is free
and always comes first; it gives at least 14 calendar days, counted from the third working day
after posting or the day after an e-mail; only after them may interest (same rate, art. XIX.4
§1) and the capped damages be claimed. The interest runs from the end of those days, not from
the due date: the earlier start book XIX allows SMEs (the day after the first reminder) is not
claimed (the cooperative is no SME, and the later start can never be wrong).

The schedule (`reminder_days_after_due`, last entry the formal notice) is configuration. A
reminder is never sent twice, at most one a day, and never before the pay-by date of the
previous one has passed. When the scheduler missed days, only the latest level that is due is
sent (a client never receives a burst of reminders at once); the levels it jumps over are named
in `skipped_levels`. A private client's first reminder is never jumped over.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from services.billing.domain.interest import (
    consumer_damages_cents,
    late_interest_cents,
    principal_history,
)
from shared.calendar import WorkingDayCalendar
from shared.parameters import Parameters

ClientKind = Literal["business", "private"]
Channel = Literal["post", "email"]

# A working day (jour ouvrable) in the legal sense: Monday to Saturday, minus public holidays.
LEGAL_WORKING_DAYS = WorkingDayCalendar("mon-sat")


@dataclass(frozen=True)
class SentReminder:
    """A reminder already sent for the invoice (from its events)."""

    level: int
    sent_on: date
    pay_by: date


@dataclass(frozen=True)
class ReminderDue:
    """The reminder to send today, and what it may claim."""

    level: int  # 1, 2, …; the last level of the schedule is the formal notice
    formal_notice: bool
    pay_by: date  # the date printed on it
    claims_interest: bool
    claims_flat_fee: bool  # B2B: the €40 of art. 6 of the law of 2 August 2002
    claims_damages: bool  # B2C: the capped damages of art. XIX.4 CDE
    skipped_levels: tuple[int, ...] = ()  # levels whose day passed while none was sent


@dataclass(frozen=True)
class LateClaims:
    """What a late invoice carries on top of its principal, as of one day."""

    interest_cents: int
    flat_fee_cents: int
    damages_cents: int
    interest_from: date | None  # the first day that earns interest; None: none yet

    @property
    def total_cents(self) -> int:
        return self.interest_cents + self.flat_fee_cents + self.damages_cents


def consumer_grace_end(
    sent_on: date,
    channel: Channel,
    params: Parameters,
    calendar: WorkingDayCalendar = LEGAL_WORKING_DAYS,
) -> date:
    """The last of the calendar days a consumer has to pay after the first reminder (XIX.2 §1).

    The days start on the third working day after posting, or on the day after an e-mail; the
    last day is included: an e-mail of 1 September gives 2 to 15 September.
    """
    if channel == "post":
        first_day = calendar.add_working_days(sent_on, params.consumer_post_delay_working_days)
    else:
        first_day = sent_on + timedelta(days=params.consumer_electronic_delay_days)
    return first_day + timedelta(days=params.consumer_grace_days - 1)


def _checked_history(reminders_sent: Sequence[SentReminder]) -> tuple[SentReminder, ...]:
    history = tuple(sorted(reminders_sent, key=lambda reminder: reminder.level))
    for earlier, later in itertools.pairwise(history):
        if later.level == earlier.level or later.sent_on < earlier.sent_on:
            raise ValueError(
                f"reminder {later.level} is sent twice or before reminder {earlier.level}"
            )
    if history and history[0].level < 1:
        raise ValueError("reminder levels start at 1")
    return history


def next_reminder(
    kind: ClientKind,
    due_date: date,
    reminders_sent: Sequence[SentReminder],
    today: date,
    params: Parameters,
    *,
    channel: Channel = "email",
    calendar: WorkingDayCalendar = LEGAL_WORKING_DAYS,
) -> ReminderDue | None:
    """The reminder due today for an invoice still unpaid, or None.

    `params` are those valid today; `channel` is how the reminder will travel (it sets a private
    client's 14 days). Run twice the same day, after the first reminder is recorded, it answers
    None: a reminder sent today or a pay-by date not yet passed holds the next one back.
    """
    history = _checked_history(reminders_sent)
    schedule = params.reminder_days_after_due
    last = history[-1] if history else None
    if today <= due_date or (last is not None and today <= max(last.sent_on, last.pay_by)):
        return None
    last_level = last.level if last is not None else 0
    reached = [
        level
        for level in range(last_level + 1, len(schedule) + 1)
        if due_date + timedelta(days=schedule[level - 1]) <= today
    ]
    if not reached:
        return None  # nothing due yet, or the formal notice was the last step
    first_of_private = kind == "private" and last_level == 0
    level = 1 if first_of_private else reached[-1]
    pay_by = today + timedelta(days=params.reminder_pay_within_days)
    if first_of_private:
        pay_by = max(pay_by, consumer_grace_end(today, channel, params, calendar))
    return ReminderDue(
        level=level,
        formal_notice=level == len(schedule),
        pay_by=pay_by,
        claims_interest=not first_of_private,
        claims_flat_fee=kind == "business",
        claims_damages=kind == "private" and not first_of_private,
        skipped_levels=tuple(range(last_level + 1, level)),
    )


def _balance_at_end_of(history: Sequence[tuple[date, int]], day: date) -> int:
    known = [change for change in principal_history(history) if change.day <= day]
    if not known:
        raise ValueError(f"the principal history starts after {day}")
    return known[-1].outstanding_cents


def late_claims(
    kind: ClientKind,
    due_date: date,
    principal_changes: Sequence[tuple[date, int]],
    reminders_sent: Sequence[SentReminder],
    today: date,
    params_on: Callable[[date], Parameters],
) -> LateClaims:
    """Interest to `today` included, and the flat fee (B2B) or damages (B2C), of one invoice.

    `principal_changes`: (day, principal outstanding at the end of that day), from the issue
    date or the due date on; `params_on(day)`: the parameters valid that day (e.g.
    `default_book().on`; a scheduler going through many invoices passes it through
    `functools.lru_cache`, the same days recur), so each day uses its own half-year's rate.
    The flat fee is the one valid on the first late day; a consumer's damages are capped on what
    was still due on the first day after the 14 days, with the brackets valid that day.
    """
    accrues_after = due_date
    if kind == "private":
        history = _checked_history(reminders_sent)
        if not history or history[0].level != 1:
            return LateClaims(0, 0, 0, None)  # no free first reminder yet: nothing may be claimed
        accrues_after = history[0].pay_by
    first_late_day = accrues_after + timedelta(days=1)
    if today < first_late_day:
        return LateClaims(0, 0, 0, None)
    late_balance = _balance_at_end_of(principal_changes, accrues_after)
    if late_balance == 0:
        return LateClaims(0, 0, 0, None)  # paid in time
    interest = late_interest_cents(
        principal_changes,
        accrues_after=accrues_after,
        up_to=today,
        rate_on=lambda day: params_on(day).late_interest_rate,
    )
    late_params = params_on(first_late_day)
    if kind == "business":
        return LateClaims(interest, late_params.late_flat_fee_cents, 0, first_late_day)
    damages = consumer_damages_cents(
        late_balance, late_params.consumer_damages_brackets, late_params.consumer_damages_max_cents
    )
    return LateClaims(interest, 0, damages, first_late_day)
