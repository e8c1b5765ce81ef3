"""The frozen quote: an estimate stored as JSON on the plan and read back unchanged."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.estimates import CoursePricing, PlanEstimate, PriceQuote, PriceUnit, estimate_plan
from planner.models import Plan
from planner.planning import estimate_from_quote, quote_from_estimate, same_figures
from tests.factories.planner import PatientFactory, PlanFactory

REGEN = date(2026, 1, 1)


def price(minimum, maximum, *, series_size=None, currency="USD", pk=None) -> PriceQuote:
    return PriceQuote(
        unit=PriceUnit.SERIES if series_size else PriceUnit.SESSION,
        series_size=series_size,
        minimum=Decimal(minimum),
        maximum=Decimal(maximum),
        currency=currency,
        source="regen-2026",
        effective_from=REGEN,
        price_range_id=pk,
    )


MICRONEEDLING_PRICES = (price("600", "1500", pk=1), price("2000", "4000", series_size=3, pk=2))
INJECTABLE_PRICES = (price("3000", "6000", pk=3),)


def course(key, name, sessions, prices=()) -> CoursePricing:
    return CoursePricing(course_key=key, treatment_name=name, sessions=sessions, prices=prices)


def documented_mix() -> PlanEstimate:
    return estimate_plan(
        [
            course("0", "Microneedling + topical exosome", 4, MICRONEEDLING_PRICES),
            course("1", "Fractional laser + topical exosome", 2),
            course("2", "Injectable MSC exosome (investigational)", 1, INJECTABLE_PRICES),
        ]
    )


def through_json(estimate: PlanEstimate) -> tuple[dict, PlanEstimate]:
    """What a JSONField does: dump to text, load it back, rebuild the estimate."""
    stored = json.loads(json.dumps(quote_from_estimate(estimate)))
    return stored, estimate_from_quote(stored)


# --- round trip ------------------------------------------------------------------------------


def test_documented_mix_round_trips():
    estimate = documented_mix()

    stored, restored = through_json(estimate)

    assert restored == estimate
    assert (restored.total_min, restored.total_max) == (Decimal(5600), Decimal(11500))
    assert restored.complete is False
    assert [c.price_not_set for c in restored.courses] == [False, True, False]
    assert [li.description for li in restored.courses[0].line_items] == [
        "Series of 3 sessions",
        "Single session",
    ]
    assert stored["courses"][1]["line_items"] == []
    assert quote_from_estimate(restored) == stored


def test_quote_keeps_money_as_exact_strings():
    estimate = estimate_plan([course("0", "Peel", 3, (price("99.95", "120.10"),))])

    stored, restored = through_json(estimate)

    assert (stored["total_min"], stored["total_max"]) == ("299.85", "360.30")
    assert stored["courses"][0]["line_items"][0]["price"]["minimum"] == "99.95"
    assert restored.total_min == Decimal("299.85")


def test_estimate_with_nothing_priced_round_trips():
    estimate = estimate_plan([course("0", "Fractional laser + topical exosome", 3)])

    stored, restored = through_json(estimate)

    assert restored == estimate
    assert (restored.currency, restored.complete) == (None, False)
    assert stored["currency"] is None


def test_estimate_with_two_currencies_round_trips():
    estimate = estimate_plan(
        [
            course("0", "Microneedling", 3, MICRONEEDLING_PRICES),
            course("1", "Imported injectable", 1, (price("2500", "5000", currency="EUR"),)),
        ]
    )

    _, restored = through_json(estimate)

    assert restored == estimate
    assert "EUR" in restored.note
    assert restored.complete is False


@pytest.mark.django_db
def test_quote_survives_the_database():
    estimate = documented_mix()
    plan = PlanFactory(
        patient=PatientFactory(full_name="Ada Example"),
        title="Glow",
        quote=quote_from_estimate(estimate),
    )

    assert estimate_from_quote(Plan.objects.get(pk=plan.pk).quote) == estimate


money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def price_ranges(draw, *, series_size=None, currency="USD"):
    low, high = sorted((draw(money), draw(money)))
    return price(
        low,
        high,
        series_size=series_size,
        currency=currency,
        pk=draw(st.none() | st.integers(1, 10_000)),
    )


@st.composite
def course_pricings(draw, key: str):
    currency = draw(st.sampled_from(["USD", "USD", "EUR"]))
    prices = []
    if draw(st.booleans()):
        prices.append(draw(price_ranges(currency=currency)))
    for size in draw(st.sets(st.integers(2, 6), max_size=2)):
        prices.append(draw(price_ranges(series_size=size, currency=currency)))
    return course(key, f"Treatment {key}", draw(st.integers(1, 12)), tuple(prices))


@st.composite
def plan_estimates(draw):
    count = draw(st.integers(1, 4))
    return estimate_plan([draw(course_pricings(str(i))) for i in range(count)])


@given(plan_estimates())
def test_any_estimate_round_trips_through_json(estimate):
    stored, restored = through_json(estimate)

    assert restored == estimate
    assert same_figures(restored, estimate)
    assert quote_from_estimate(restored) == stored


# --- same_figures ----------------------------------------------------------------------------


def test_same_figures_for_the_same_prices():
    assert same_figures(documented_mix(), documented_mix())


@pytest.mark.parametrize(
    "changed",
    [
        replace(MICRONEEDLING_PRICES[1], minimum=Decimal("2500")),
        replace(MICRONEEDLING_PRICES[1], maximum=Decimal("4500")),
        replace(MICRONEEDLING_PRICES[1], minimum=Decimal("2000.01")),
        replace(MICRONEEDLING_PRICES[1], currency="EUR"),
    ],
    ids=["minimum", "maximum", "one-cent", "currency"],
)
def test_same_figures_detects_a_changed_price(changed):
    frozen = estimate_plan([course("0", "Microneedling", 3, MICRONEEDLING_PRICES)])
    today = estimate_plan([course("0", "Microneedling", 3, (changed,))])

    assert not same_figures(frozen, today)
    assert not same_figures(estimate_from_quote(quote_from_estimate(frozen)), today)


def test_same_figures_detects_a_price_newly_set():
    frozen = estimate_plan([course("0", "Laser", 2)])
    today = estimate_plan([course("0", "Laser", 2, (price("800", "1200"),))])

    assert not same_figures(frozen, today)


def test_same_figures_ignores_a_new_range_with_the_same_figures():
    frozen = estimate_plan([course("0", "Microneedling", 3, MICRONEEDLING_PRICES)])
    renewed = tuple(
        replace(p, effective_from=date(2026, 6, 1), price_range_id=p.price_range_id + 10)
        for p in MICRONEEDLING_PRICES
    )
    today = estimate_plan([course("0", "Microneedling", 3, renewed)])

    assert same_figures(frozen, today)
