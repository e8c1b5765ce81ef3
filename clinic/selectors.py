"""Read-side queries for the catalog, shaped for pages."""

from dataclasses import dataclass
from datetime import date

from clinic.models import PriceRange, TreatmentType


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
