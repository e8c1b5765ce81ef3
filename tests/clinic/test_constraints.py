"""The catalog's invariants hold in the database even when model validation is skipped
(a bulk update, a shell session, a buggy import), and full_clean() explains them in words."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.models import (
    INJECTABLE_IS_INJECTED,
    INJECTION_NEEDS_INVESTIGATIONAL,
    INTERVAL_NEEDS_BOTH,
    MIN_ABOVE_MAX,
    PLATELET_TOPICAL_ONLY,
    SERIES_NEEDS_SIZE,
    SESSION_HAS_NO_SIZE,
    DeliveryRoute,
    ExosomeSource,
    PriceRange,
    PriceUnit,
    RegulatoryStatus,
    TreatmentKind,
    TreatmentType,
)
from tests.factories.clinic import PriceRangeFactory, TreatmentTypeFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 1)


def assert_db_refuses(constraint_name, make):
    """`make` writes a row without validation; the database must refuse it.

    SQLite and PostgreSQL both name a failed CHECK constraint in the error, which tells us
    the intended constraint fired and not some other one."""
    with pytest.raises(IntegrityError, match=constraint_name), transaction.atomic():
        make()


# PriceRange: check constraints


def test_price_minimum_above_maximum_refused_by_db():
    assert_db_refuses(
        "price_minimum_le_maximum",
        lambda: PriceRangeFactory(minimum=Decimal("1500"), maximum=Decimal("600")),
    )
    assert PriceRange.objects.count() == 0


def test_price_minimum_above_maximum_refused_on_queryset_update():
    price = PriceRangeFactory(minimum=Decimal("600"), maximum=Decimal("1500"))
    assert_db_refuses(
        "price_minimum_le_maximum",
        lambda: PriceRange.objects.filter(pk=price.pk).update(minimum=Decimal("2000")),
    )
    price.refresh_from_db()
    assert price.minimum == Decimal("600")


def test_price_equal_minimum_and_maximum_allowed():
    price = PriceRangeFactory(minimum=Decimal("900"), maximum=Decimal("900"))
    assert PriceRange.objects.get(pk=price.pk).minimum == Decimal("900")


def test_price_negative_minimum_refused_by_db():
    assert_db_refuses(
        "price_minimum_not_negative",
        lambda: PriceRangeFactory(minimum=Decimal("-1"), maximum=Decimal("100")),
    )


def test_price_zero_minimum_allowed():
    # A free first session is a real offer; only negative amounts are nonsense.
    PriceRangeFactory(minimum=Decimal("0"), maximum=Decimal("100"))
    assert PriceRange.objects.count() == 1


@pytest.mark.parametrize("size", [None, 1, 0])
def test_price_series_without_real_size_refused_by_db(size):
    assert_db_refuses(
        "price_series_size_matches_unit",
        lambda: PriceRangeFactory(series_of_3=True, series_size=size),
    )


def test_price_session_with_size_refused_by_db():
    assert_db_refuses(
        "price_series_size_matches_unit",
        lambda: PriceRangeFactory(unit=PriceUnit.SESSION, series_size=3),
    )


# PriceRange: one range per (treatment, unit, series size) and date


def test_price_duplicate_session_range_same_date_refused_by_db():
    first = PriceRangeFactory(effective_from=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceRangeFactory(treatment=first.treatment, effective_from=DAY, minimum=Decimal("700"))
    assert PriceRange.objects.count() == 1


def test_price_session_range_other_date_or_treatment_allowed():
    first = PriceRangeFactory(effective_from=DAY)
    PriceRangeFactory(treatment=first.treatment, effective_from=date(2026, 6, 1))
    PriceRangeFactory(effective_from=DAY)  # another treatment, same date
    assert PriceRange.objects.count() == 3


def test_price_duplicate_series_range_same_size_and_date_refused_by_db():
    first = PriceRangeFactory(series_of_3=True, effective_from=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceRangeFactory(treatment=first.treatment, series_of_3=True, effective_from=DAY)
    assert PriceRange.objects.count() == 1


def test_price_series_ranges_of_different_sizes_same_date_allowed():
    first = PriceRangeFactory(series_of_3=True, effective_from=DAY)
    PriceRangeFactory(
        treatment=first.treatment,
        series_of_3=True,
        series_size=5,
        minimum=Decimal("3000"),
        maximum=Decimal("6000"),
        effective_from=DAY,
    )
    assert sorted(PriceRange.objects.values_list("series_size", flat=True)) == [3, 5]


def test_price_session_and_series_range_same_date_allowed():
    first = PriceRangeFactory(effective_from=DAY)
    PriceRangeFactory(treatment=first.treatment, series_of_3=True, effective_from=DAY)
    assert PriceRange.objects.filter(treatment=first.treatment).count() == 2


# TreatmentType: check constraints


@pytest.mark.parametrize(
    ("constraint", "fields"),
    [
        ("treatment_downtime_ordered", {"downtime_min_hours": 72, "downtime_max_hours": 24}),
        ("treatment_sessions_ordered", {"sessions_min": 3, "sessions_max": 2}),
        (
            "treatment_results_ordered",
            {"results_develop_weeks_min": 6, "results_develop_weeks_max": 4},
        ),
        ("treatment_sessions_min_positive", {"sessions_min": 0, "sessions_max": 3}),
        ("treatment_interval_complete", {"interval_count": 1, "interval_unit": ""}),
        ("treatment_interval_complete", {"interval_count": None, "interval_unit": "months"}),
        ("treatment_sessions_max_positive", {"sessions_min": None, "sessions_max": 0}),
        ("treatment_interval_complete", {"interval_count": 0, "interval_unit": "months"}),
    ],
)
def test_treatment_inconsistent_figures_refused_by_db(constraint, fields):
    assert_db_refuses(constraint, lambda: TreatmentTypeFactory(**fields))
    assert TreatmentType.objects.count() == 0


def test_treatment_open_ended_figures_allowed():
    # A blank bound means "not documented", so only one side set is fine.
    TreatmentTypeFactory(
        downtime_min_hours=None,
        downtime_max_hours=48,
        sessions_min=2,
        sessions_max=None,
        results_develop_weeks_min=None,
        results_develop_weeks_max=None,
    )
    assert TreatmentType.objects.count() == 1


def test_treatment_min_above_max_refused_on_queryset_update():
    treatment = TreatmentTypeFactory(downtime_min_hours=24, downtime_max_hours=48)
    assert_db_refuses(
        "treatment_downtime_ordered",
        lambda: TreatmentType.objects.filter(pk=treatment.pk).update(downtime_min_hours=96),
    )


def test_treatment_platelet_source_injected_refused_by_db():
    # Investigational status is set so that only the platelet rule can fail.
    assert_db_refuses(
        "treatment_platelet_topical_only",
        lambda: TreatmentTypeFactory(injectable=True, exosome_source=ExosomeSource.PLATELET),
    )


def test_treatment_platelet_source_topical_allowed():
    TreatmentTypeFactory(exosome_source=ExosomeSource.PLATELET, route=DeliveryRoute.TOPICAL)
    assert TreatmentType.objects.count() == 1


def test_treatment_injection_with_cosmetic_status_refused_by_db():
    assert_db_refuses(
        "treatment_injection_investigational",
        lambda: TreatmentTypeFactory(
            injectable=True, regulatory_status=RegulatoryStatus.COSMETIC_TOPICAL
        ),
    )


def test_treatment_injection_cannot_be_relabelled_cosmetic_by_update():
    treatment = TreatmentTypeFactory(injectable=True)
    assert_db_refuses(
        "treatment_injection_investigational",
        lambda: TreatmentType.objects.filter(pk=treatment.pk).update(
            regulatory_status=RegulatoryStatus.COSMETIC_TOPICAL
        ),
    )
    treatment.refresh_from_db()
    assert treatment.is_investigational


def test_treatment_injectable_kind_applied_topically_refused_by_db():
    # Cosmetic status as well: the case that slipped past the investigational rule.
    assert_db_refuses(
        "treatment_injectable_is_injected",
        lambda: TreatmentTypeFactory(
            kind=TreatmentKind.INJECTABLE,
            route=DeliveryRoute.TOPICAL,
            regulatory_status=RegulatoryStatus.COSMETIC_TOPICAL,
        ),
    )
    assert TreatmentType.objects.count() == 0


def test_treatment_injection_route_of_other_kind_refused_by_db():
    # Investigational status is set so that only the kind/route rule can fail.
    assert_db_refuses(
        "treatment_injectable_is_injected",
        lambda: TreatmentTypeFactory(
            injectable=True, kind=TreatmentKind.MICRONEEDLING, exosome_source="msc"
        ),
    )


def test_treatment_injectable_cannot_be_relabelled_topical_by_update():
    treatment = TreatmentTypeFactory(injectable=True)
    assert_db_refuses(
        "treatment_injectable_is_injected",
        lambda: TreatmentType.objects.filter(pk=treatment.pk).update(route=DeliveryRoute.TOPICAL),
    )


# full_clean(): the same rules, in words a clinic admin reads


def validation_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def test_price_full_clean_min_above_max_message():
    price = PriceRangeFactory.build(
        treatment=TreatmentTypeFactory(), minimum=Decimal("1500"), maximum=Decimal("600")
    )
    assert validation_errors(price) == {"maximum": [MIN_ABOVE_MAX]}


def test_price_full_clean_negative_minimum_message():
    price = PriceRangeFactory.build(treatment=TreatmentTypeFactory(), minimum=Decimal("-5"))
    assert validation_errors(price) == {"minimum": ["A price cannot be negative."]}


@pytest.mark.parametrize("size", [None, 1])
def test_price_full_clean_series_needs_size_message(size):
    price = PriceRangeFactory.build(
        treatment=TreatmentTypeFactory(), series_of_3=True, series_size=size
    )
    assert validation_errors(price) == {"series_size": [SERIES_NEEDS_SIZE]}


def test_price_full_clean_session_has_no_size_message():
    price = PriceRangeFactory.build(treatment=TreatmentTypeFactory(), series_size=3)
    assert validation_errors(price) == {"series_size": [SESSION_HAS_NO_SIZE]}


def test_price_full_clean_currency_code_message():
    price = PriceRangeFactory.build(treatment=TreatmentTypeFactory(), currency="U$D")
    assert validation_errors(price) == {
        "currency": ["Use a three-letter currency code such as USD."]
    }


def test_price_full_clean_duplicate_session_range_refused():
    first = PriceRangeFactory(effective_from=DAY)
    duplicate = PriceRangeFactory.build(treatment=first.treatment, effective_from=DAY)
    assert validation_errors(duplicate)


def test_price_full_clean_valid_range_passes():
    PriceRangeFactory.build(treatment=TreatmentTypeFactory()).full_clean()
    PriceRangeFactory.build(treatment=TreatmentTypeFactory(), series_of_3=True).full_clean()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"downtime_min_hours": 72, "downtime_max_hours": 24}, "downtime_min_hours"),
        ({"sessions_min": 3, "sessions_max": 2}, "sessions_min"),
        (
            {"results_develop_weeks_min": 6, "results_develop_weeks_max": 4},
            "results_develop_weeks_min",
        ),
    ],
)
def test_treatment_full_clean_min_above_max_message(fields, field):
    treatment = TreatmentTypeFactory.build(**fields)
    assert validation_errors(treatment) == {field: [MIN_ABOVE_MAX]}


@pytest.mark.parametrize(
    "fields",
    [
        {"interval_count": 2, "interval_unit": ""},
        {"interval_count": None, "interval_unit": "weeks"},
    ],
)
def test_treatment_full_clean_interval_needs_both_message(fields):
    treatment = TreatmentTypeFactory.build(**fields)
    assert validation_errors(treatment) == {"interval_count": [INTERVAL_NEEDS_BOTH]}


def test_treatment_full_clean_platelet_topical_only_message():
    treatment = TreatmentTypeFactory.build(injectable=True, exosome_source=ExosomeSource.PLATELET)
    assert validation_errors(treatment) == {"exosome_source": [PLATELET_TOPICAL_ONLY]}


def test_treatment_full_clean_injection_needs_investigational_message():
    treatment = TreatmentTypeFactory.build(
        injectable=True, regulatory_status=RegulatoryStatus.COSMETIC_TOPICAL
    )
    assert validation_errors(treatment) == {"regulatory_status": [INJECTION_NEEDS_INVESTIGATIONAL]}


def test_treatment_full_clean_injectable_applied_topically_message():
    treatment = TreatmentTypeFactory.build(
        kind=TreatmentKind.INJECTABLE,
        route=DeliveryRoute.TOPICAL,
        regulatory_status=RegulatoryStatus.COSMETIC_TOPICAL,
    )
    assert validation_errors(treatment) == {"route": [INJECTABLE_IS_INJECTED]}


def test_treatment_full_clean_injection_route_of_other_kind_message():
    treatment = TreatmentTypeFactory.build(injectable=True, kind=TreatmentKind.MICRONEEDLING)
    assert validation_errors(treatment) == {"route": [INJECTABLE_IS_INJECTED]}


def test_treatment_full_clean_valid_kinds_pass():
    TreatmentTypeFactory.build().full_clean()
    TreatmentTypeFactory.build(laser=True).full_clean()
    TreatmentTypeFactory.build(injectable=True).full_clean()


def test_price_in_another_currency_than_the_clinics_is_refused(settings):
    from clinic.models import CURRENCY_NOT_CLINICS

    settings.CURRENCY = "USD"
    price = PriceRangeFactory.build(
        treatment=TreatmentTypeFactory(), currency="eur", minimum=1, maximum=2
    )
    assert validation_errors(price) == {"currency": [CURRENCY_NOT_CLINICS.format(currency="USD")]}
