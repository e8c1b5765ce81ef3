"""Read-side queries for the catalog, shaped for pages."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from clinic.catalog_cache import Catalog
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


def product_choices(
    catalog: Catalog, *, also=()
) -> tuple[dict[int, ExosomeProduct], dict[int, ProductLot]]:
    """Active products and their plannable lots (with storage readings), plus any a saved
    course still names (the courses come with their lots). No query."""
    products = dict(catalog.active_products)
    for product in (c.product for c in also if c.product_id):
        products.setdefault(product.pk, product)
    # A quarantined, recalled, expired or discarded lot cannot be chosen for a planned
    # session; one a saved course already names stays listed (the plan shows it blocked).
    lots = {pk: lot for pk, lot in catalog.lots.items() if lot.product_id in products}
    named = {c.lot.pk: c.lot for c in also if getattr(c, "lot_id", None)}
    if named.keys() - lots.keys():
        # Newest received first, as the catalog's are.
        ordered = sorted({**lots, **named}.values(), key=_newest_received_first)
        lots = {lot.pk: lot for lot in ordered}
    return products, lots


def _newest_received_first(lot: ProductLot):
    return (-lot.received_on.toordinal(), lot.lot_number)


def treatment_choices(
    catalog: Catalog, *, also: Iterable[TreatmentType] = ()
) -> dict[int, TreatmentType]:
    """Active treatments, plus any inactive one a saved course still uses (so an old plan
    stays editable). No query."""
    choices = dict(catalog.active_treatments)
    for treatment in also:
        choices.setdefault(treatment.pk, treatment)
    return choices
