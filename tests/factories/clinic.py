from datetime import date
from decimal import Decimal

import factory

from clinic.models import (
    DeliveryRoute,
    PriceRange,
    PriceUnit,
    RegulatoryStatus,
    TreatmentKind,
    TreatmentType,
)


class TreatmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentType

    slug = factory.Sequence(lambda n: f"treatment-{n}")
    name = factory.Sequence(lambda n: f"Microneedling + topical exosome {n}")
    kind = TreatmentKind.MICRONEEDLING
    route = DeliveryRoute.TOPICAL
    regulatory_status = RegulatoryStatus.COSMETIC_TOPICAL
    downtime_min_hours = 24
    downtime_max_hours = 48
    sessions_min = 2
    sessions_max = 3
    interval_count = 1
    interval_unit = "months"
    results_weeks_min = 4
    results_weeks_max = 6

    class Params:
        injectable = factory.Trait(
            kind=TreatmentKind.INJECTABLE,
            route=DeliveryRoute.INJECTION,
            regulatory_status=RegulatoryStatus.INVESTIGATIONAL,
            exosome_source="msc",
            downtime_min_hours=None,
            downtime_max_hours=None,
            interval_count=None,
            interval_unit="",
        )
        laser = factory.Trait(
            kind=TreatmentKind.FRACTIONAL_LASER,
            downtime_min_hours=72,
            downtime_max_hours=168,
            interval_count=None,
            interval_unit="",
        )


class PriceRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceRange

    treatment = factory.SubFactory(TreatmentTypeFactory)
    unit = PriceUnit.SESSION
    series_size = None
    minimum = Decimal("600.00")
    maximum = Decimal("1500.00")
    currency = "USD"
    effective_from = date(2026, 1, 1)
    source = "regen-2026"

    class Params:
        series_of_3 = factory.Trait(
            unit=PriceUnit.SERIES,
            series_size=3,
            minimum=Decimal("2000.00"),
            maximum=Decimal("4000.00"),
        )
