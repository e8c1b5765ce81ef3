"""Which price range is in force on a day: the newest one whose date has come, per treatment,
unit and series size; older ones stay in the table as history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from clinic.models import PriceRange
from tests.factories.clinic import PriceRangeFactory, TreatmentTypeFactory

pytestmark = pytest.mark.django_db

OLD_DAY = date(2026, 1, 1)
NEW_DAY = date(2026, 7, 1)


def minimums_in_force(on, queryset=None):
    queryset = PriceRange.objects.all() if queryset is None else queryset
    return sorted(price.minimum for price in queryset.in_force(on))


@pytest.fixture
def treatment():
    return TreatmentTypeFactory()


@pytest.fixture
def old_and_new(treatment):
    old = PriceRangeFactory(treatment=treatment, effective_from=OLD_DAY, minimum=Decimal("600"))
    new = PriceRangeFactory(treatment=treatment, effective_from=NEW_DAY, minimum=Decimal("800"))
    return old, new


def test_in_force_newer_range_supersedes_from_its_date(old_and_new):
    old, new = old_and_new

    assert PriceRange.objects.in_force(NEW_DAY) == [new]
    assert PriceRange.objects.in_force(NEW_DAY + timedelta(days=200)) == [new]


def test_in_force_older_range_applies_before_newer_date(old_and_new):
    old, new = old_and_new

    assert PriceRange.objects.in_force(NEW_DAY - timedelta(days=1)) == [old]
    assert PriceRange.objects.in_force(OLD_DAY) == [old]


def test_in_force_superseded_range_kept_for_history(old_and_new):
    assert PriceRange.objects.count() == 2


def test_in_force_nothing_before_first_range(old_and_new):
    assert PriceRange.objects.in_force(OLD_DAY - timedelta(days=1)) == []


def test_in_force_future_range_not_yet_in_force(treatment):
    today = date(2026, 11, 23)
    current = PriceRangeFactory(treatment=treatment, effective_from=today - timedelta(days=30))
    PriceRangeFactory(
        treatment=treatment, effective_from=today + timedelta(days=1), minimum=Decimal("900")
    )

    assert PriceRange.objects.in_force(today) == [current]


def test_in_force_session_and_series_prices_kept_apart(treatment):
    session = PriceRangeFactory(treatment=treatment, effective_from=OLD_DAY)
    # A newer series price must not hide the older per-session price.
    series = PriceRangeFactory(treatment=treatment, series_of_3=True, effective_from=NEW_DAY)

    in_force = PriceRange.objects.in_force(NEW_DAY)

    assert sorted(in_force, key=lambda p: p.pk) == [session, series]


def test_in_force_each_series_size_kept_apart(treatment):
    three_old = PriceRangeFactory(
        treatment=treatment, series_of_3=True, effective_from=OLD_DAY, minimum=Decimal("2000")
    )
    five = PriceRangeFactory(
        treatment=treatment,
        series_of_3=True,
        series_size=5,
        effective_from=NEW_DAY,
        minimum=Decimal("3000"),
        maximum=Decimal("6000"),
    )
    three_new = PriceRangeFactory(
        treatment=treatment, series_of_3=True, effective_from=NEW_DAY, minimum=Decimal("2200")
    )

    assert set(PriceRange.objects.in_force(NEW_DAY)) == {five, three_new}
    assert set(PriceRange.objects.in_force(NEW_DAY - timedelta(days=1))) == {three_old}


def test_in_force_each_treatment_kept_apart(treatment):
    other = TreatmentTypeFactory()
    mine = PriceRangeFactory(treatment=treatment, effective_from=OLD_DAY)
    theirs = PriceRangeFactory(treatment=other, effective_from=NEW_DAY, minimum=Decimal("700"))

    assert set(PriceRange.objects.in_force(NEW_DAY)) == {mine, theirs}


def test_in_force_respects_a_filtered_queryset(treatment):
    other = TreatmentTypeFactory()
    PriceRangeFactory(treatment=treatment, effective_from=OLD_DAY, minimum=Decimal("600"))
    PriceRangeFactory(treatment=other, effective_from=OLD_DAY, minimum=Decimal("700"))

    assert minimums_in_force(NEW_DAY, PriceRange.objects.filter(treatment=other)) == [
        Decimal("700")
    ]


def test_in_force_costs_one_query(treatment, django_assert_num_queries):
    for _ in range(5):
        t = TreatmentTypeFactory()
        PriceRangeFactory(treatment=t, effective_from=OLD_DAY)
        PriceRangeFactory(treatment=t, effective_from=NEW_DAY)
        PriceRangeFactory(treatment=t, series_of_3=True, effective_from=OLD_DAY)

    with django_assert_num_queries(1):
        assert len(PriceRange.objects.in_force(NEW_DAY)) == 10
