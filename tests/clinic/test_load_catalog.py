"""`manage.py load_catalog` seeds exactly the documented figures of shared/domain.md, each
with its source key, leaves undocumented ones blank, and never undoes a clinic admin's work."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from clinic.catalog_seed import INJECTABLE, LASER, MICRONEEDLING
from clinic.models import (
    DeliveryRoute,
    ExosomeSource,
    PriceRange,
    PriceUnit,
    RegulatoryStatus,
    TreatmentType,
)

pytestmark = pytest.mark.django_db


def load_catalog() -> str:
    out = StringIO()
    call_command("load_catalog", stdout=out)
    return out.getvalue()


def prices_of(slug):
    return PriceRange.objects.filter(treatment__slug=slug)


# The documented figures, each with its source


def test_load_catalog_three_documented_treatments(catalog):
    assert set(catalog) == {MICRONEEDLING, LASER, INJECTABLE}
    assert all(t.active for t in catalog.values())


def test_load_catalog_microneedling_session_price(catalog):
    price = prices_of(MICRONEEDLING).get(unit=PriceUnit.SESSION)
    assert (price.minimum, price.maximum) == (Decimal("600"), Decimal("1500"))
    assert price.currency == "USD"
    assert price.series_size is None
    assert price.source == "regen-2026"


def test_load_catalog_microneedling_series_of_3_price(catalog):
    price = prices_of(MICRONEEDLING).get(unit=PriceUnit.SERIES)
    assert price.series_size == 3
    assert (price.minimum, price.maximum) == (Decimal("2000"), Decimal("4000"))
    assert price.currency == "USD"
    assert price.source == "regen-2026"


def test_load_catalog_injectable_msc_session_price(catalog):
    price = prices_of(INJECTABLE).get(unit=PriceUnit.SESSION)
    assert (price.minimum, price.maximum) == (Decimal("3000"), Decimal("6000"))
    assert price.currency == "USD"
    assert price.source == "regen-2026"


def test_load_catalog_prices_effective_from_2026(catalog):
    assert set(PriceRange.objects.values_list("effective_from", flat=True)) == {date(2026, 1, 1)}


def test_load_catalog_microneedling_downtime_24_to_48_hours(catalog):
    t = catalog[MICRONEEDLING]
    assert (t.downtime_min_hours, t.downtime_max_hours, t.downtime_source) == (
        24,
        48,
        "regen-2026",
    )


def test_load_catalog_laser_downtime_3_to_7_days(catalog):
    t = catalog[LASER]
    assert (t.downtime_min_hours, t.downtime_max_hours, t.downtime_source) == (
        3 * 24,
        7 * 24,
        "regen-2026",
    )


def test_load_catalog_typical_series_2_to_3_sessions(catalog):
    for t in catalog.values():
        assert (t.sessions_min, t.sessions_max, t.sessions_source) == (2, 3, "regen-2026"), t


def test_load_catalog_microneedling_monthly_interval(catalog):
    t = catalog[MICRONEEDLING]
    assert (t.interval_count, t.interval_unit, t.interval_source) == (1, "months", "regen-2026")


def test_load_catalog_results_develop_4_to_6_weeks(catalog):
    for t in catalog.values():
        assert (
            t.results_develop_weeks_min,
            t.results_develop_weeks_max,
            t.results_develop_source,
        ) == (
            4,
            6,
            "regen-2026",
        ), t


def test_load_catalog_regulatory_classes(catalog):
    for slug in (MICRONEEDLING, LASER):
        assert catalog[slug].route == DeliveryRoute.TOPICAL
        assert catalog[slug].regulatory_status == RegulatoryStatus.COSMETIC_TOPICAL
    injectable = catalog[INJECTABLE]
    assert injectable.route == DeliveryRoute.INJECTION
    assert injectable.regulatory_status == RegulatoryStatus.INVESTIGATIONAL
    assert injectable.exosome_source == ExosomeSource.MSC
    assert "investigational" in injectable.name.lower()


# Undocumented figures stay blank: never invented


def test_load_catalog_laser_has_no_price(catalog):
    assert not prices_of(LASER).exists()


def test_load_catalog_series_price_only_for_microneedling(catalog):
    series = PriceRange.objects.filter(unit=PriceUnit.SERIES)
    assert list(series.values_list("treatment__slug", flat=True)) == [MICRONEEDLING]


def test_load_catalog_injectable_downtime_blank(catalog):
    t = catalog[INJECTABLE]
    assert (t.downtime_min_hours, t.downtime_max_hours, t.downtime_source) == (None, None, "")


def test_load_catalog_no_interval_where_undocumented(catalog):
    for slug in (LASER, INJECTABLE):
        t = catalog[slug]
        assert (t.interval_count, t.interval_unit, t.interval_source) == (None, "", ""), slug


def test_load_catalog_exactly_three_prices(catalog):
    assert PriceRange.objects.count() == 3


# Running again


def test_load_catalog_reports_what_it_added():
    assert "3 treatment(s) and 3 price range(s) added" in load_catalog()
    assert "0 treatment(s) and 0 price range(s) added" in load_catalog()


def test_load_catalog_twice_creates_no_duplicates(catalog):
    before = sorted(PriceRange.objects.values_list("pk", "minimum", "maximum"))

    load_catalog()

    assert TreatmentType.objects.count() == 3
    assert sorted(PriceRange.objects.values_list("pk", "minimum", "maximum")) == before


def test_load_catalog_keeps_admin_edited_price(catalog):
    price = prices_of(MICRONEEDLING).get(unit=PriceUnit.SESSION)
    price.minimum = Decimal("750")
    price.save()

    load_catalog()

    price.refresh_from_db()
    assert price.minimum == Decimal("750")
    assert prices_of(MICRONEEDLING).filter(unit=PriceUnit.SESSION).count() == 1


def test_load_catalog_keeps_clinic_replacement_price(catalog):
    prices_of(MICRONEEDLING).get(unit=PriceUnit.SESSION).delete()
    own = PriceRange.objects.create(
        treatment=catalog[MICRONEEDLING],
        unit=PriceUnit.SESSION,
        minimum=Decimal("700"),
        maximum=Decimal("1200"),
        effective_from=date(2026, 3, 1),
        source="clinic",
    )

    load_catalog()

    assert list(prices_of(MICRONEEDLING).filter(unit=PriceUnit.SESSION)) == [own]


def test_load_catalog_keeps_admin_entered_laser_price(catalog):
    own = PriceRange.objects.create(
        treatment=catalog[LASER],
        minimum=Decimal("900"),
        maximum=Decimal("1800"),
        effective_from=date(2026, 3, 1),
        source="clinic",
    )

    load_catalog()

    assert list(prices_of(LASER)) == [own]


def test_load_catalog_keeps_admin_edited_treatment(catalog):
    TreatmentType.objects.filter(slug=INJECTABLE).update(
        downtime_min_hours=24, downtime_max_hours=72, downtime_source="clinic", active=False
    )

    load_catalog()

    t = TreatmentType.objects.get(slug=INJECTABLE)
    assert (t.downtime_min_hours, t.downtime_max_hours, t.downtime_source) == (24, 72, "clinic")
    assert not t.active
