"""Read-side queries for the catalog, shaped for pages."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from clinic.lots.rules import NOT_PLANNABLE
from clinic.models import ExosomeProduct, PriceRange, ProductLot, TreatmentType


@dataclass(frozen=True)
class CatalogEntry:
    treatment: TreatmentType
    prices: list[PriceRange]  # ranges in force today, per-session first


def catalog_entries(*, on: date) -> list[CatalogEntry]:
    """Active treatments with their price ranges in force on `on`: two queries in all."""
    treatments = list(TreatmentType.objects.filter(active=True).order_by("name"))
    by_treatment: dict[int, list[PriceRange]] = {t.id: [] for t in treatments}
    for price in PriceRange.objects.filter(treatment__active=True).in_force(on):
        by_treatment[price.treatment_id].append(price)
    return [
        CatalogEntry(
            treatment=t,
            prices=sorted(
                by_treatment[t.id], key=lambda p: (p.unit != "session", p.series_size or 0)
            ),
        )
        for t in treatments
    ]


def product_choices(*, also=()) -> tuple[dict[int, ExosomeProduct], dict[int, ProductLot]]:
    """Active products and their plannable lots (with storage readings), plus any a saved
    course still names. Three queries."""
    products = {p.pk: p for p in ExosomeProduct.objects.filter(active=True).order_by("name")}
    for product in (c.product for c in also if c.product_id):
        products.setdefault(product.pk, product)
    # A quarantined, recalled, expired or discarded lot cannot be chosen for a planned
    # session; one a saved course already names stays listed (the plan shows it blocked).
    named = [c.lot_id for c in also if getattr(c, "lot_id", None)]
    lots = {
        lot.pk: lot
        for lot in ProductLot.objects.filter(product__in=list(products))
        .filter(~Q(status__in=NOT_PLANNABLE) | Q(pk__in=named))
        .select_related("product")
        .prefetch_related("storage_checks")
        .order_by("-received_on", "lot_number")
    }
    return products, lots


def treatment_choices(*, also: Iterable[TreatmentType] = ()) -> dict[int, TreatmentType]:
    """Active treatments, plus any inactive one a saved course still uses (so an old plan
    stays editable). One query."""
    choices = {t.pk: t for t in TreatmentType.objects.filter(active=True).order_by("name")}
    for treatment in also:
        choices.setdefault(treatment.pk, treatment)
    return choices
