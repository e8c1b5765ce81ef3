from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.estimates import (
    CoursePricing,
    PriceQuote,
    PriceUnit,
    estimate_course,
    estimate_plan,
    unpriced_notes,
)

MICRONEEDLING = "Microneedling + topical exosome"
LASER = "Fractional laser + topical exosome"
INJECTABLE = "Injectable MSC exosome"
REGEN = date(2026, 1, 1)


def quote(minimum, maximum, series_size=None, currency="USD", price_range_id=None):
    return PriceQuote(
        unit=PriceUnit.SERIES if series_size else PriceUnit.SESSION,
        series_size=series_size,
        minimum=Decimal(minimum),
        maximum=Decimal(maximum),
        currency=currency,
        source="regen-2026",
        effective_from=REGEN,
        price_range_id=price_range_id,
    )


# The documented regen-2026 figures.
MICRONEEDLING_SESSION = quote(600, 1500, price_range_id=1)
MICRONEEDLING_SERIES_OF_3 = quote(2000, 4000, series_size=3, price_range_id=2)
INJECTABLE_TREATMENT = quote(3000, 6000, price_range_id=3)


def microneedling(sessions: int, key: str = "0") -> CoursePricing:
    return CoursePricing(
        course_key=key,
        treatment_name=MICRONEEDLING,
        sessions=sessions,
        prices=(MICRONEEDLING_SESSION, MICRONEEDLING_SERIES_OF_3),
    )


def totals(estimate) -> tuple[Decimal, Decimal]:
    return estimate.total_min, estimate.total_max


def lines(estimate) -> list[tuple[str, int, int]]:
    return [
        (item.description, item.quantity, item.sessions_covered) for item in estimate.line_items
    ]


# Worked examples from the product spec -----------------------------------------------------


def test_microneedling_one_session_is_priced_per_session():
    estimate = estimate_course(microneedling(1))
    assert totals(estimate) == (Decimal(600), Decimal(1500))
    assert lines(estimate) == [("Single session", 1, 1)]
    assert estimate.line_items[0].price == MICRONEEDLING_SESSION
    assert not estimate.price_not_set
    assert estimate.note == ""
    assert estimate.currency == "USD"


def test_microneedling_two_sessions_are_two_single_sessions():
    estimate = estimate_course(microneedling(2))
    assert totals(estimate) == (Decimal(1200), Decimal(3000))
    assert lines(estimate) == [("2 × single session", 2, 2)]


def test_microneedling_three_sessions_use_the_series_price_not_three_singles():
    estimate = estimate_course(microneedling(3))
    assert totals(estimate) == (Decimal(2000), Decimal(4000))
    assert lines(estimate) == [("Series of 3 sessions", 1, 3)]
    assert estimate.line_items[0].price == MICRONEEDLING_SERIES_OF_3


def test_microneedling_four_sessions_are_a_series_plus_one_session():
    estimate = estimate_course(microneedling(4))
    assert totals(estimate) == (Decimal(2600), Decimal(5500))
    assert lines(estimate) == [("Series of 3 sessions", 1, 3), ("Single session", 1, 1)]


def test_microneedling_six_sessions_are_two_series_on_one_line():
    estimate = estimate_course(microneedling(6))
    assert totals(estimate) == (Decimal(4000), Decimal(8000))
    assert lines(estimate) == [("2 × series of 3 sessions", 2, 6)]
    assert totals(estimate.line_items[0]) == (Decimal(4000), Decimal(8000))


def test_injectable_two_treatments():
    estimate = estimate_course(
        CoursePricing("1", INJECTABLE, sessions=2, prices=(INJECTABLE_TREATMENT,))
    )
    assert totals(estimate) == (Decimal(6000), Decimal(12000))
    assert not estimate.price_not_set


def test_fractional_laser_without_any_price_is_not_set_and_never_zero():
    estimate = estimate_course(CoursePricing("2", LASER, sessions=2, prices=()))
    assert estimate.price_not_set
    assert estimate.line_items == ()
    assert estimate.currency is None
    assert estimate.note == (
        "No price is set for Fractional laser + topical exosome, so 2 sessions are not priced."
    )


def test_plan_with_unpriced_course_totals_what_is_priced_and_is_incomplete():
    plan = estimate_plan(
        [
            microneedling(4),
            CoursePricing("1", LASER, sessions=1, prices=()),
            CoursePricing("2", INJECTABLE, sessions=2, prices=(INJECTABLE_TREATMENT,)),
        ]
    )
    assert totals(plan) == (Decimal(8600), Decimal(17500))
    assert plan.currency == "USD"
    assert not plan.complete
    assert plan.note == ""
    assert [course.price_not_set for course in plan.courses] == [False, True, False]


def test_plan_fully_priced_is_complete():
    plan = estimate_plan([microneedling(3), microneedling(1, key="1")])
    assert totals(plan) == (Decimal(2600), Decimal(5500))
    assert plan.complete


def test_empty_plan():
    plan = estimate_plan([])
    assert (plan.total_min, plan.total_max, plan.currency, plan.complete) == (0, 0, None, True)


# Series-only prices and several series sizes -----------------------------------------------


def test_series_only_price_leaves_the_remainder_not_set_but_lists_the_series():
    pricing = CoursePricing("0", LASER, sessions=4, prices=(quote(2000, 4000, series_size=3),))
    estimate = estimate_course(pricing)
    assert lines(estimate) == [("Series of 3 sessions", 1, 3)]
    assert totals(estimate) == (Decimal(2000), Decimal(4000))
    assert estimate.price_not_set
    assert estimate.note == (
        "No per-session price is set for Fractional laser + topical exosome, "
        "so 1 session is not priced."
    )


def test_series_only_price_with_too_few_sessions_for_a_series():
    pricing = CoursePricing("0", LASER, sessions=2, prices=(quote(2000, 4000, series_size=3),))
    estimate = estimate_course(pricing)
    assert estimate.line_items == ()
    assert estimate.note == (
        "No per-session price is set for Fractional laser + topical exosome, "
        "so 2 sessions are not priced."
    )


def test_several_series_sizes_are_used_largest_first():
    pricing = CoursePricing(
        "0",
        MICRONEEDLING,
        sessions=9,
        prices=(
            MICRONEEDLING_SESSION,
            MICRONEEDLING_SERIES_OF_3,
            quote(3000, 6000, series_size=5),
        ),
    )
    estimate = estimate_course(pricing)
    assert lines(estimate) == [
        ("Series of 5 sessions", 1, 5),
        ("Series of 3 sessions", 1, 3),
        ("Single session", 1, 1),
    ]
    assert totals(estimate) == (Decimal(5600), Decimal(11500))


# Input checks ------------------------------------------------------------------------------


def test_price_quote_rejects_series_without_size():
    with pytest.raises(ValueError, match="series size of 2 or more"):
        PriceQuote(PriceUnit.SERIES, None, Decimal(1), Decimal(2), "USD", "x", REGEN, None)


def test_price_quote_rejects_minimum_above_maximum():
    with pytest.raises(ValueError, match="minimum <= maximum"):
        quote(2, 1)


def test_price_quote_accepts_unit_as_stored_string():
    assert PriceQuote("series", 3, Decimal(1), Decimal(2), "USD", "x", REGEN, None).unit is (
        PriceUnit.SERIES
    )


def test_course_pricing_rejects_two_prices_for_the_same_unit():
    with pytest.raises(ValueError, match="two prices for the same unit"):
        CoursePricing("0", MICRONEEDLING, 1, (MICRONEEDLING_SESSION, quote(700, 1600)))


def test_course_pricing_rejects_two_currencies():
    with pytest.raises(ValueError, match="more than one currency"):
        CoursePricing("0", MICRONEEDLING, 1, (quote(1, 2), quote(3, 4, 3, currency="EUR")))


def test_plan_never_adds_two_currencies():
    plan = estimate_plan(
        [
            microneedling(1),
            CoursePricing("1", INJECTABLE, 1, (quote(2500, 5000, currency="EUR"),)),
        ]
    )
    assert totals(plan) == (Decimal(600), Decimal(1500))
    assert plan.currency == "USD"
    assert not plan.complete
    assert plan.note == (
        "Prices in another currency are not added to the USD total: Injectable MSC exosome (EUR)."
    )


# Properties --------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)


@st.composite
def price_ranges(draw, series_size):
    low = draw(amounts)
    high = draw(st.decimals(min_value=low, max_value=low + 50_000, places=2))
    return quote(low, high, series_size=series_size)


@st.composite
def course_pricings(draw, key="0"):
    prices = []
    if draw(st.booleans()):
        prices.append(draw(price_ranges(None)))
    for size in draw(st.sets(st.integers(min_value=2, max_value=6), max_size=3)):
        prices.append(draw(price_ranges(size)))
    return CoursePricing(
        course_key=key,
        treatment_name=MICRONEEDLING,
        sessions=draw(st.integers(min_value=1, max_value=15)),
        prices=tuple(draw(st.permutations(prices))),
    )


@given(pricing=course_pricings())
def test_estimate_course_invariants(pricing):
    estimate = estimate_course(pricing)
    assert estimate.total_min <= estimate.total_max
    assert estimate.total_min == sum(item.total_min for item in estimate.line_items)
    assert estimate.total_max == sum(item.total_max for item in estimate.line_items)

    covered = sum(item.sessions_covered for item in estimate.line_items)
    assert covered <= pricing.sessions
    assert (covered == pricing.sessions) == (not estimate.price_not_set)
    assert (estimate.note == "") == (not estimate.price_not_set)

    for item in estimate.line_items:
        assert item.quantity >= 1
        assert item.sessions_covered == item.quantity * (item.price.series_size or 1)
        assert item.total_min == item.quantity * item.price.minimum
        assert item.total_max == item.quantity * item.price.maximum
    # Each price appears on one line at most: repeats are merged.
    assert len({item.price for item in estimate.line_items}) == len(estimate.line_items)

    has_session_price = any(p.unit == PriceUnit.SESSION for p in pricing.prices)
    if has_session_price:
        assert not estimate.price_not_set


@given(data=st.data(), course_count=st.integers(min_value=0, max_value=4))
def test_estimate_plan_totals_are_the_sum_of_course_totals(data, course_count):
    courses = [data.draw(course_pricings(key=str(i))) for i in range(course_count)]
    plan = estimate_plan(courses)
    assert plan.total_min <= plan.total_max
    assert plan.total_min == sum(course.total_min for course in plan.courses)
    assert plan.total_max == sum(course.total_max for course in plan.courses)
    assert plan.complete == (not any(course.price_not_set for course in plan.courses))


def test_two_unpriced_courses_of_one_treatment_are_one_note_with_their_sessions_added():
    """The patient's sheet says once which price is missing: two courses of laser lack the
    same price, so their sessions are counted together, not said twice."""
    plan = estimate_plan(
        [
            CoursePricing("0", LASER, sessions=2, prices=()),
            microneedling(3, key="1"),
            CoursePricing("2", LASER, sessions=4, prices=()),
            # A series price but none per session: 2 sessions of 5 are left over.
            CoursePricing("3", MICRONEEDLING, sessions=5, prices=(MICRONEEDLING_SERIES_OF_3,)),
        ]
    )
    assert unpriced_notes(plan.courses) == (
        "No price is set for Fractional laser + topical exosome, so 6 sessions are not priced.",
        "No per-session price is set for Microneedling + topical exosome, so 2 sessions are "
        "not priced.",
    )
    # One course alone reads as its own note.
    assert unpriced_notes(plan.courses[:1]) == (plan.courses[0].note,)
