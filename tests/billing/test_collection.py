"""Collection rules: late interest, the €40, B2C damages, the reminder schedule, allocation.

Every figure below is computed by hand in its comment; the dated values are the shipped
`parameters.toml` (11.5 % in 2025 H1, 10.5 % from 2025 H2, €40, book XIX brackets).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.domain.collection import (
    ClientKind,
    LateClaims,
    ReminderDue,
    SentReminder,
    consumer_grace_end,
    late_claims,
    next_reminder,
)
from services.billing.domain.interest import (
    Allocation,
    allocate,
    consumer_damages_cents,
    late_interest_cents,
)
from shared.money import AmountOutOfRange
from shared.parameters import ParameterNotDefined, Parameters, default_book

BOOK = default_book()


# Cached as the scheduler would: the same days recur from one invoice to the next.
@functools.lru_cache(maxsize=4096)
def params(day: date) -> Parameters:
    return BOOK.on(day)


def rate_on(day: date) -> Decimal:
    return params(day).late_interest_rate


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --- B2B late interest -------------------------------------------------------------------------


def test_an_invoice_paid_45_days_late_across_two_half_years_earns_interest_exact_to_the_cent() -> (
    None
):
    # Given €12,345.67 due on 10 June 2025, paid in full on 25 July 2025 (45 days late):
    # 20 days (11-30 June) at 11.5 % and 25 days (1-25 July) at 10.5 %, actual/365:
    #   1,234,567 * 0.115 * 20 / 365 = 2,839,504.100 / 365 = 7,779.4633 cents
    #   1,234,567 * 0.105 * 25 / 365 = 3,240,738.375 / 365 = 8,878.7353 cents
    #   sum 16,658.1986 cents, rounded half-up once → 16,658 cents = €166.58
    due = date(2025, 6, 10)
    history = [(due, 1_234_567), (date(2025, 7, 25), 0)]
    # When the interest is computed on any day from the payment on
    for up_to in (date(2025, 7, 25), date(2025, 9, 1)):
        # Then it is €166.58, and the €40 is added once
        assert late_interest_cents(history, accrues_after=due, up_to=up_to, rate_on=rate_on) == (
            16_658
        )
    claims = late_claims("business", due, history, [], date(2025, 9, 1), params)
    assert claims == LateClaims(16_658, 4000, 0, date(2025, 6, 11))
    assert claims.total_cents == 20_658


def test_a_whole_year_at_one_rate_is_the_rate_itself() -> None:
    # €1,000 late for the 365 days of 2026, at 10.5 % all year: exactly €105.00
    history = [(date(2025, 12, 31), 100_000)]
    assert (
        late_interest_cents(
            history, accrues_after=date(2025, 12, 31), up_to=date(2026, 12, 31), rate_on=rate_on
        )
        == 10_500
    )


def test_a_partial_payment_lowers_the_principal_from_the_next_day() -> None:
    # €1,000 due 31 Dec 2025; €600 paid on 10 Jan 2026, the rest on 20 Jan 2026 (10.5 %):
    #   1-10 Jan on 100,000: 100,000 * 0.105 * 10 / 365 = 287.6712
    #   11-20 Jan on 40,000:  40,000 * 0.105 * 10 / 365 = 115.0685
    #   402.7397 → 403 cents
    due = date(2025, 12, 31)
    history = [(due, 100_000), (date(2026, 1, 10), 40_000), (date(2026, 1, 20), 0)]
    assert (
        late_interest_cents(history, accrues_after=due, up_to=date(2026, 2, 1), rate_on=rate_on)
        == 403
    )


def test_the_interest_is_rounded_once_not_per_half_year() -> None:
    # €10 due 29 June 2025, paid 1 July: 30 June at 11.5 % = 0.3151 cents, 1 July at 10.5 %
    # = 0.2877 cents; once: 0.6027 → 1 cent (per segment it would be 0 + 0)
    due = date(2025, 6, 29)
    history = [(due, 1000), (date(2025, 7, 1), 0)]
    assert (
        late_interest_cents(history, accrues_after=due, up_to=date(2025, 7, 1), rate_on=rate_on)
        == 1
    )


def test_an_invoice_paid_on_its_due_date_earns_nothing() -> None:
    due = date(2026, 3, 10)
    history = [(date(2026, 2, 28), 50_000), (due, 0)]
    assert (
        late_interest_cents(history, accrues_after=due, up_to=date(2026, 6, 1), rate_on=rate_on)
        == 0
    )
    assert late_claims("business", due, history, [], date(2026, 6, 1), params) == LateClaims(
        0, 0, 0, None
    )


def test_nothing_is_claimed_on_or_before_the_due_date() -> None:
    due = date(2026, 3, 10)
    history = [(date(2026, 2, 28), 50_000)]
    assert late_interest_cents(history, accrues_after=due, up_to=due, rate_on=rate_on) == 0
    assert late_claims("business", due, history, [], due, params) == LateClaims(0, 0, 0, None)
    # the day after, one day of interest (50,000 * 0.105 / 365 = 14.38) and the €40
    assert late_claims("business", due, history, [], due + days(1), params) == LateClaims(
        14, 4000, 0, due + days(1)
    )


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([], "empty"),
        ([(date(2026, 3, 11), 100)], "starts on 2026-03-11"),
        ([(date(2026, 3, 1), 100), (date(2026, 3, 1), 50)], "two balances for one day"),
    ],
)
def test_a_principal_history_that_cannot_be_right_is_refused(
    history: list[tuple[date, int]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        late_interest_cents(
            history, accrues_after=date(2026, 3, 10), up_to=date(2026, 4, 1), rate_on=rate_on
        )


def test_a_negative_principal_is_refused() -> None:
    with pytest.raises(AmountOutOfRange):
        late_interest_cents(
            [(date(2026, 3, 1), -1)],
            accrues_after=date(2026, 3, 10),
            up_to=date(2026, 4, 1),
            rate_on=rate_on,
        )


def test_a_day_without_a_published_rate_is_not_guessed() -> None:
    with pytest.raises(ParameterNotDefined):
        late_interest_cents(
            [(date(2024, 12, 1), 100)],
            accrues_after=date(2024, 12, 1),
            up_to=date(2025, 1, 5),
            rate_on=rate_on,
        )


late_days = st.integers(min_value=0, max_value=800)
principals = st.integers(min_value=0, max_value=10**12)


# Up to 800 days, each summed on its own: slow under coverage tracing.
@settings(deadline=None)
@given(principal=principals, shorter=late_days, extra=late_days)
def test_interest_never_decreases_with_more_late_days(
    principal: int, shorter: int, extra: int
) -> None:
    due = date(2025, 3, 31)
    history = [(due, principal)]

    def interest(n: int) -> int:
        return late_interest_cents(history, accrues_after=due, up_to=due + days(n), rate_on=rate_on)

    assert 0 <= interest(shorter) <= interest(shorter + extra)


# Up to 800 days, each summed on its own: slow under coverage tracing.
@settings(deadline=None)
@given(smaller=principals, extra=principals, late=late_days)
def test_interest_never_decreases_with_a_larger_principal(
    smaller: int, extra: int, late: int
) -> None:
    due = date(2025, 5, 15)

    def interest(principal: int) -> int:
        return late_interest_cents(
            [(due, principal)], accrues_after=due, up_to=due + days(late), rate_on=rate_on
        )

    assert interest(smaller) <= interest(smaller + extra)


# Up to 800 days, each summed on its own: slow under coverage tracing.
@settings(deadline=None)
@given(principal=principals, early=st.integers(min_value=0, max_value=59))
def test_interest_is_zero_when_paid_on_time(principal: int, early: int) -> None:
    due = date(2025, 6, 30)
    history = [(due - days(60), principal), (due - days(early), 0)]
    assert (
        late_interest_cents(history, accrues_after=due, up_to=due + days(400), rate_on=rate_on) == 0
    )


# --- B2C damages -------------------------------------------------------------------------------


def consumer_damages(outstanding: int) -> int:
    p = params(date(2026, 1, 1))
    return consumer_damages_cents(
        outstanding, p.consumer_damages_brackets, p.consumer_damages_max_cents
    )


@pytest.mark.parametrize(
    ("outstanding", "damages"),
    [
        (0, 0),  # nothing due, no damages
        (1, 2000),  # up to €150: €20
        (15_000, 2000),
        (15_001, 3000),  # €30 + 10 % of €0.01 = €30.001 → €30.00
        (20_000, 3500),  # €30 + 10 % of €50
        (50_000, 6500),  # €30 + 10 % of €350 = €65, where the next bracket starts
        (50_001, 6500),  # €65 + 5 % of €0.01
        (100_000, 9000),  # €65 + 5 % of €500
        (3_920_000, 200_000),  # €65 + 5 % of €38,700 = €2,000 exactly
        (10_000_000, 200_000),  # capped at €2,000
    ],
)
def test_the_consumer_damages_follow_the_brackets_of_book_xix(
    outstanding: int, damages: int
) -> None:
    assert consumer_damages(outstanding) == damages


@given(
    smaller=st.integers(min_value=0, max_value=10**10),
    extra=st.integers(min_value=0, max_value=10**10),
)
def test_consumer_damages_never_decrease_and_never_pass_the_cap(smaller: int, extra: int) -> None:
    assert consumer_damages(smaller) <= consumer_damages(smaller + extra) <= 200_000


# --- Allocation of a payment -------------------------------------------------------------------


def test_a_payment_goes_to_the_claims_before_the_principal() -> None:
    # Given €44.38 of claims and €1,000 of principal, €500 pays the claims, then €455.62
    assert allocate(50_000, 4_438, 100_000) == Allocation(4_438, 45_562, 0)


def test_a_payment_smaller_than_the_claims_pays_only_claims() -> None:
    assert allocate(1_000, 4_438, 100_000) == Allocation(1_000, 0, 0)


def test_an_overpayment_is_kept_as_excess() -> None:
    assert allocate(110_000, 4_000, 100_000) == Allocation(4_000, 100_000, 6_000)


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(AmountOutOfRange):
        allocate(-1, 0, 100)


cents = st.integers(min_value=0, max_value=10**15)


@given(amount=cents, claims=cents, principal=cents)
def test_an_allocation_sums_to_the_amount_and_pays_claims_first(
    amount: int, claims: int, principal: int
) -> None:
    allocation = allocate(amount, claims, principal)
    assert allocation.claims_cents + allocation.principal_cents + allocation.excess_cents == amount
    assert 0 <= allocation.claims_cents <= claims
    assert 0 <= allocation.principal_cents <= principal
    assert allocation.principal_cents == 0 or allocation.claims_cents == claims
    assert allocation.excess_cents == 0 or allocation.principal_cents == principal


# --- Reminder schedule -------------------------------------------------------------------------


def run_scheduler(
    kind: ClientKind, due: date, first_day: date, last_day: date, runs_a_day: int = 1
) -> list[tuple[date, ReminderDue]]:
    """The daily scheduler on real days: asks, records what it sends, asks again."""
    sent: list[SentReminder] = []
    log: list[tuple[date, ReminderDue]] = []
    today = first_day
    while today <= last_day:
        for _ in range(runs_a_day):
            due_now = next_reminder(kind, due, sent, today, params(today))
            if due_now is not None:
                sent.append(SentReminder(due_now.level, today, due_now.pay_by))
                log.append((today, due_now))
        today += days(1)
    return log


def test_a_business_client_gets_each_reminder_on_its_day_then_the_formal_notice() -> None:
    # Given an invoice due 10 March 2026 that stays unpaid, the scheduler running every day
    due = date(2026, 3, 10)
    log = run_scheduler("business", due, due - days(5), due + days(120))
    # Then reminders go out at due + 1, + 15, + 30 and the formal notice at + 45, once each
    assert [(day - due).days for day, _ in log] == [1, 15, 30, 45]
    assert [reminder.level for _, reminder in log] == [1, 2, 3, 4]
    assert [reminder.formal_notice for _, reminder in log] == [False, False, False, True]
    # each asks to pay within 10 days and claims the interest and the €40
    assert all(reminder.pay_by == day + days(10) for day, reminder in log)
    assert all(r.claims_interest and r.claims_flat_fee and not r.claims_damages for _, r in log)
    assert all(reminder.skipped_levels == () for _, reminder in log)


def test_running_the_scheduler_twice_a_day_sends_nothing_twice() -> None:
    due = date(2026, 3, 10)
    once = run_scheduler("business", due, due, due + days(60))
    assert run_scheduler("business", due, due, due + days(60), runs_a_day=2) == once
    # and asking without recording answers the same, since nothing here has a memory
    sent = [SentReminder(1, due + days(1), due + days(11))]
    today = due + days(15)
    assert next_reminder("business", due, sent, today, params(today)) == next_reminder(
        "business", due, sent, today, params(today)
    )


def test_a_scheduler_that_missed_days_sends_only_the_latest_level_due() -> None:
    # Given nothing sent and the scheduler back 35 days after the due date
    due = date(2026, 3, 10)
    today = due + days(35)
    reminder = next_reminder("business", due, [], today, params(today))
    # Then only the third reminder goes, naming the two it jumps over
    assert reminder == ReminderDue(
        level=3,
        formal_notice=False,
        pay_by=today + days(10),
        claims_interest=True,
        claims_flat_fee=True,
        claims_damages=False,
        skipped_levels=(1, 2),
    )


def test_no_reminder_follows_the_formal_notice() -> None:
    due = date(2026, 3, 10)
    sent = [SentReminder(4, due + days(45), due + days(55))]
    for late in (56, 100, 400):
        today = due + days(late)
        assert next_reminder("business", due, sent, today, params(today)) is None


def test_a_reminder_waits_for_the_previous_pay_by_date() -> None:
    # Given the first reminder sent late (due + 10) asking to pay by due + 20
    due = date(2026, 3, 10)
    sent = [SentReminder(1, due + days(10), due + days(20))]
    # Then the second, scheduled at due + 15, waits until the day after due + 20
    assert next_reminder("business", due, sent, due + days(20), params(due)) is None
    second = next_reminder("business", due, sent, due + days(21), params(due))
    assert second is not None and second.level == 2


def test_a_reminder_history_that_cannot_be_right_is_refused() -> None:
    due = date(2026, 3, 10)
    twice = [SentReminder(1, due + days(1), due + days(11))] * 2
    with pytest.raises(ValueError, match="sent twice"):
        next_reminder("business", due, twice, due + days(40), params(due))
    with pytest.raises(ValueError, match="start at 1"):
        next_reminder("business", due, [SentReminder(0, due, due)], due + days(40), params(due))


def test_the_consumer_days_after_an_email_start_the_next_day() -> None:
    # an e-mail on 1 September gives 14 days, 2 to 15 September
    assert consumer_grace_end(date(2025, 9, 1), "email", params(date(2025, 9, 1))) == date(
        2025, 9, 15
    )


def test_the_consumer_days_after_a_letter_start_the_third_working_day() -> None:
    # Posted Friday 31 Oct 2025: Sat 1 Nov is All Saints, Sunday is no working day, so the
    # working days are Mon 3, Tue 4, Wed 5 Nov; 14 days from Wed 5 Nov end on Tue 18 Nov.
    assert consumer_grace_end(date(2025, 10, 31), "post", params(date(2025, 10, 31))) == date(
        2025, 11, 18
    )


def test_a_private_client_first_gets_a_free_reminder_with_14_days() -> None:
    # Given an invoice to a private client due 10 March 2026, unpaid
    due = date(2026, 3, 10)
    log = run_scheduler("private", due, due, due + days(120))
    first_day, first = log[0]
    # Then the first reminder (e-mail, due + 1) claims nothing and gives until due + 15
    assert first_day == due + days(1)
    assert first == ReminderDue(1, False, due + days(15), False, False, False, ())
    # the second, scheduled at due + 15, waits until the 14 days are over, then claims the
    # interest and the damages, never the €40 of the B2B law
    second_day, second = log[1]
    assert second_day == due + days(16)
    assert (second.level, second.claims_interest, second.claims_damages) == (2, True, True)
    assert not second.claims_flat_fee
    assert [reminder.level for _, reminder in log] == [1, 2, 3, 4]


def test_a_private_client_s_first_reminder_is_never_skipped() -> None:
    # Given the scheduler back 50 days after the due date with nothing sent
    due = date(2026, 3, 10)
    today = due + days(50)
    # Then it sends the free first reminder by post, not the formal notice
    reminder = next_reminder("private", due, [], today, params(today), channel="post")
    assert reminder is not None
    assert (reminder.level, reminder.formal_notice, reminder.claims_damages) == (1, False, False)
    assert reminder.pay_by == consumer_grace_end(today, "post", params(today))
    # and after its 14 days, the formal notice directly
    sent = [SentReminder(1, today, reminder.pay_by)]
    later = reminder.pay_by + days(1)
    notice = next_reminder("private", due, sent, later, params(later))
    assert notice is not None and notice.formal_notice and notice.skipped_levels == (2, 3)


# --- Claims on a private client's invoice ------------------------------------------------------


def test_a_private_client_owes_nothing_before_the_first_reminder() -> None:
    due = date(2026, 3, 10)
    history = [(date(2026, 2, 28), 40_000)]
    assert late_claims("private", due, history, [], due + days(90), params) == LateClaims(
        0, 0, 0, None
    )


def test_a_private_client_owes_interest_and_damages_only_after_the_14_days() -> None:
    # Given €400 due 10 March 2026, the free reminder e-mailed on 11 March giving until 25 March
    due = date(2026, 3, 10)
    history = [(date(2026, 2, 28), 40_000)]
    sent = [SentReminder(1, date(2026, 3, 11), date(2026, 3, 25))]
    # During the 14 days: nothing
    assert late_claims("private", due, history, sent, date(2026, 3, 25), params) == LateClaims(
        0, 0, 0, None
    )
    # Ten days after: interest from 26 March, 40,000 * 0.105 * 10 / 365 = 115.07 → 115 cents,
    # and damages of €30 + 10 % of (€400 - €150) = €55
    claims = late_claims("private", due, history, sent, date(2026, 4, 4), params)
    assert claims == LateClaims(115, 0, 5500, date(2026, 3, 26))


def test_a_private_client_who_pays_within_the_14_days_owes_nothing() -> None:
    due = date(2026, 3, 10)
    history = [(date(2026, 2, 28), 40_000), (date(2026, 3, 20), 0)]
    sent = [SentReminder(1, date(2026, 3, 11), date(2026, 3, 25))]
    assert late_claims("private", due, history, sent, date(2026, 5, 1), params) == LateClaims(
        0, 0, 0, None
    )


def test_claims_on_a_principal_history_that_starts_too_late_are_refused() -> None:
    with pytest.raises(ValueError, match="starts after"):
        late_claims(
            "business", date(2026, 3, 10), [(date(2026, 3, 12), 100)], [], date(2026, 4, 1), params
        )
