from datetime import date
from decimal import Decimal

import factory

from clinic.models import (
    DeliveryRoute,
    ExosomeProduct,
    PriceRange,
    PriceUnit,
    ProductLot,
    RegulatoryStatus,
    StorageCheck,
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
    results_develop_weeks_min = 4
    results_develop_weeks_max = 6

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


class ExosomeProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExosomeProduct

    name = factory.Sequence(lambda n: f"Exo serum {n}")
    manufacturer = "Example Biologics"
    exosome_source = "msc"
    source_cell_line = "Umbilical-cord MSC line UC-12"
    grade = "medical"
    route_topical = True
    route_injection = False
    regulatory_status = "cosmetic_topical"
    clinical_evidence = "Example et al. 2025, split-face trial, n=40"
    storage_min_celsius = Decimal("2")
    storage_max_celsius = Decimal("8")

    class Params:
        injectable = factory.Trait(
            route_injection=True,
            regulatory_status="investigational",
            regulatory_reference="IND 012345",
        )


class ProductLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLot

    product = factory.SubFactory(ExosomeProductFactory)
    lot_number = factory.Sequence(lambda n: f"L{n:05d}")
    received_on = date(2026, 10, 1)
    expires_on = date(2027, 10, 1)
    particles_per_ml = Decimal("1000000000000")
    size_median_nm = Decimal("95")
    size_min_nm = Decimal("40")
    size_max_nm = Decimal("140")
    surface_markers = "CD9, CD63, CD81"
    characterisation_document = "CoA L-2026-10"


class StorageCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StorageCheck

    lot = factory.SubFactory(ProductLotFactory)
    checked_on = date(2026, 10, 2)
    temperature_celsius = Decimal("4")
