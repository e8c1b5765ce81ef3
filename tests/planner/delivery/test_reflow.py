"""The re-flow engine (planner/delivery/reflow.py) and the checks on re-flowed dates
(planner.scheduling.build_dated_schedule): examples, then properties."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.delivery.reflow import Move, SessionSlot, after_performance, apply, reschedule
from planner.scheduling import (
    CourseInput,
    Interval,
    IntervalUnit,
    build_dated_schedule,
    nth_session_date,
)

MONTHLY = Interval(1, IntervalUnit.MONTHS)


def course_slots(first: date, interval: Interval, count: int) -> list[SessionSlot]:
    return [SessionSlot(n + 1, nth_session_date(first, interval, n)) for n in range(count)]


def test_rescheduling_session_2_moves_3_anchored_to_the_new_date():
    slots = course_slots(date(2027, 1, 10), MONTHLY, 3)

    moves = reschedule(slots, MONTHLY, number=2, new_date=date(2027, 2, 20))

    assert moves == (
        Move(2, date(2027, 2, 10), date(2027, 2, 20)),
        Move(3, date(2027, 3, 10), date(2027, 3, 20)),
    )


def test_month_end_is_clamped_and_kept_from_the_anchor():
    slots = course_slots(date(2027, 1, 10), MONTHLY, 4)

    moves = reschedule(slots, MONTHLY, number=1, new_date=date(2027, 1, 31))

    assert [m.new_date for m in moves] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_a_fixed_session_stays_and_later_ones_still_count_from_the_anchor():
    slots = course_slots(date(2027, 1, 10), MONTHLY, 4)

    moves = reschedule(slots, MONTHLY, number=2, new_date=date(2027, 2, 17), keep_fixed={3})

    assert apply(slots, moves) == {
        1: date(2027, 1, 10),
        2: date(2027, 2, 17),
        3: date(2027, 3, 10),
        4: date(2027, 4, 17),
    }


def test_closed_sessions_do_not_move():
    slots = [
        SessionSlot(1, date(2027, 1, 10), open=False),
        SessionSlot(2, date(2027, 2, 10)),
        SessionSlot(3, date(2027, 3, 10), open=False),
    ]

    moves = reschedule(slots, MONTHLY, number=2, new_date=date(2027, 2, 12))

    assert moves == (Move(2, date(2027, 2, 10), date(2027, 2, 12)),)


def test_a_closed_session_cannot_be_rescheduled():
    with pytest.raises(ValueError):
        reschedule(
            [SessionSlot(1, date(2027, 1, 1), open=False)],
            MONTHLY,
            number=1,
            new_date=date(2027, 1, 2),
        )


def test_late_performance_reflows_and_early_one_does_not():
    slots = course_slots(date(2027, 1, 10), MONTHLY, 3)

    assert after_performance(slots, MONTHLY, number=1, performed_on=date(2027, 1, 9)) == ()
    assert after_performance(slots, MONTHLY, number=1, performed_on=date(2027, 1, 14)) == (
        Move(2, date(2027, 2, 10), date(2027, 2, 14)),
        Move(3, date(2027, 3, 10), date(2027, 3, 14)),
    )


def test_dated_schedule_flags_a_session_moved_into_downtime_and_too_close():
    course = CourseInput(
        key="a",
        treatment_name="Microneedling",
        sessions=3,
        interval=MONTHLY,
        first_session=date(2027, 1, 10),
        downtime_min_hours=24,
        downtime_max_hours=48,
        results_develop_weeks_min=4,
        results_develop_weeks_max=6,
        catalog_interval=MONTHLY,
    )
    dates = {("a", 1): date(2027, 1, 10), ("a", 2): date(2027, 1, 11), ("a", 3): date(2027, 3, 10)}

    schedule = build_dated_schedule([course], dates, ready_by=date(2027, 3, 12))

    kinds = {w.kind for w in schedule.warnings}
    assert {"overlap", "too_close", "downtime_after_ready_by"} <= kinds
    assert [s.session_date for s in schedule.sessions] == sorted(dates.values())


# Properties --------------------------------------------------------------------------------

intervals = st.builds(
    Interval, st.integers(min_value=1, max_value=6), st.sampled_from(list(IntervalUnit))
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def a_course_and_a_move(draw):
    interval = draw(intervals)
    count = draw(st.integers(min_value=1, max_value=12))
    slots = course_slots(draw(days), interval, count)
    number = draw(st.integers(min_value=1, max_value=count))
    new_date = draw(days)
    return slots, interval, number, new_date


@given(a_course_and_a_move())
def test_property_nothing_lost_or_doubled_and_anchored(case):
    slots, interval, number, new_date = case

    moves = reschedule(slots, interval, number=number, new_date=new_date)
    after = apply(slots, moves)

    assert sorted(after) == [s.number for s in slots]
    assert len({m.number for m in moves}) == len(moves)
    assert after[number] == new_date
    for slot in slots:
        if slot.number < number:
            assert after[slot.number] == slot.planned_date
        else:
            assert after[slot.number] == nth_session_date(new_date, interval, slot.number - number)


@given(a_course_and_a_move())
def test_property_dates_after_the_anchor_are_ordered(case):
    slots, interval, number, new_date = case

    after = apply(slots, reschedule(slots, interval, number=number, new_date=new_date))

    later = [after[n] for n in sorted(after) if n >= number]
    assert all(a < b for a, b in pairwise(later))


@given(days, st.integers(min_value=1, max_value=3), st.integers(min_value=2, max_value=12))
def test_property_month_end_clamping_kept(anchor, months, count):
    interval = Interval(months, IntervalUnit.MONTHS)
    slots = course_slots(anchor - timedelta(days=400), interval, count)

    after = apply(slots, reschedule(slots, interval, number=1, new_date=anchor))

    for n in range(2, count + 1):
        moved = after[n]
        # Counted from the anchor, never from the session before: the anchor's day of the
        # month comes back whenever the month has it.
        assert moved.day == min(anchor.day, _last_day(moved))


def _last_day(day: date) -> int:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@given(a_course_and_a_move(), st.sets(st.integers(min_value=1, max_value=12)))
def test_property_fixed_and_closed_sessions_never_move(case, fixed):
    slots, interval, number, new_date = case
    slots = [
        SessionSlot(s.number, s.planned_date, open=s.number % 3 != 0 or s.number == number)
        for s in slots
    ]
    fixed.discard(number)

    moves = reschedule(slots, interval, number=number, new_date=new_date, keep_fixed=fixed)

    moved = {m.number for m in moves}
    for slot in slots:
        if slot.number in fixed or not slot.open:
            assert slot.number not in moved
