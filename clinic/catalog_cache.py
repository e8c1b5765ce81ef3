"""The catalog (treatments, products, plannable lots with their storage readings, price
ranges, evidence notes, consent documents) read once per app server process and reused until
a catalog write.

Why: every plan page, summary and editor recalculation read the same catalog in 5–6
queries; it changes a few times a day. The cache is keyed by the token in the one
CatalogVersion row, which every catalog write replaces in its own transaction (signals on
save and delete, CatalogQuerySet's bulk paths), so each request pays one cheap query to read
the token, and a write on any server is seen by every other on its next request.

What is held is shared by the requests one process serves: read it, never change it (a
course or draft may point at it; nothing saves it). Writes (lot status, storage readings)
read their lot afresh."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save

from clinic.lots.rules import NOT_PLANNABLE
from clinic.models import (
    CatalogVersion,
    ConsentDocument,
    EvidenceNote,
    ExosomeProduct,
    LotStatus,
    PriceRange,
    ProductLot,
    StorageCheck,
    TreatmentType,
    bump_catalog_version,
)

NOT_HELD = (LotStatus.EXPIRED, LotStatus.DISCARDED)

# A write to any of these replaces the token (connected in ClinicConfig.ready).
CATALOG_MODELS = (
    TreatmentType,
    PriceRange,
    ExosomeProduct,
    ProductLot,
    StorageCheck,
    EvidenceNote,
    ConsentDocument,
)


@dataclass
class Catalog:
    token: str | None
    treatments: dict[int, TreatmentType]  # every treatment, active or not, by name
    products: dict[int, ExosomeProduct]  # every product, active or not, by name
    lots: dict[int, ProductLot]  # every plannable lot, newest received first
    prices: list[PriceRange]  # every range, in the order in_force() reads them
    evidence_notes: list[EvidenceNote]  # the active ones
    # The active consent versions, newest version of each slug first (planner.signing).
    consent_documents: list[ConsentDocument] = field(default_factory=list)
    # Lots quarantined or recalled (not plannable, but sessions may still name them: the day
    # board shows those sessions blocked), with their products and readings. Expired and
    # discarded lots, which only grow in number, are not held.
    held_back_lots: dict[int, ProductLot] = field(default_factory=dict)
    _in_force: dict[date, list[PriceRange]] = field(default_factory=dict)

    @cached_property
    def active_treatments(self) -> dict[int, TreatmentType]:
        return {pk: t for pk, t in self.treatments.items() if t.active}

    @cached_property
    def active_products(self) -> dict[int, ExosomeProduct]:
        return {pk: p for pk, p in self.products.items() if p.active}

    def prices_in_force(self, on: date) -> list[PriceRange]:
        """As PriceRangeQuerySet.in_force(on): the newest range per (treatment, unit, series
        size) whose effective date has come."""
        if on not in self._in_force:
            seen, current = set(), []
            for row in self.prices:
                key = (row.treatment_id, row.unit, row.series_size)
                if row.effective_from <= on and key not in seen:
                    seen.add(key)
                    current.append(row)
            self._in_force[on] = current
        return self._in_force[on]

    def upcoming_prices(self, after: date) -> list[PriceRange]:
        """Ranges taking effect after `after`, in PriceRange's Meta ordering."""
        return sorted(
            (p for p in self.prices if p.effective_from > after),
            key=lambda p: (
                p.treatment.name,
                p.unit,
                p.series_size is not None,
                p.series_size or 0,
                -p.effective_from.toordinal(),
            ),
        )


def _load(token: str | None) -> Catalog:
    treatments = {t.pk: t for t in TreatmentType.objects.order_by("name")}
    products = {p.pk: p for p in ExosomeProduct.objects.order_by("name")}
    lots, held_back = {}, {}
    for lot in (
        ProductLot.objects.exclude(status__in=NOT_HELD)
        .prefetch_related("storage_checks")
        .order_by("-received_on", "lot_number")
    ):
        lot.product = products[lot.product_id]
        (held_back if lot.status in NOT_PLANNABLE else lots)[lot.pk] = lot
    prices = list(
        PriceRange.objects.order_by("treatment_id", "unit", "series_size", "-effective_from", "-id")
    )
    for price in prices:
        price.treatment = treatments[price.treatment_id]
    evidence_notes = list(EvidenceNote.objects.filter(active=True))
    consent_documents = list(
        ConsentDocument.objects.filter(active=True).order_by("slug", "-version")
    )
    return Catalog(
        token, treatments, products, lots, prices, evidence_notes, consent_documents, held_back
    )


class _Held:
    """This process's copy; the token in the database decides whether it is still good."""

    catalog: Catalog | None = None


def current_catalog() -> Catalog:
    """The catalog as of now: one query when the held copy is current, eight when not.

    The token is read before the rows, so a copy is never newer-tagged than its rows: a
    write landing in between leaves newer rows under the older token, reloaded next time."""
    return catalog_for(token_query().first())


def token_query():
    """The token, as a query of its own."""
    return CatalogVersion.objects.filter(pk=1).values_list("token", flat=True)


@functools.cache
def _token_sql() -> str:
    quote = connection.ops.quote_name
    table, token = CatalogVersion._meta.db_table, CatalogVersion._meta.get_field("token").column
    return f"SELECT {quote(token)} FROM {quote(table)} WHERE {quote('id')} = 1"


def token_annotation() -> RawSQL:
    """The token as a column another query reads with its rows (a plan page reads it with the
    plan: planner.access.get_plan_with_catalog). Written out once: the ORM would build and
    compile token_query() as a subquery on every request (a fifth of the plan's query)."""
    return RawSQL(_token_sql(), (), output_field=CharField())


def catalog_for(token: str | None) -> Catalog:
    """The held copy if `token` (just read from the database) is its token, else a fresh one."""
    held = _Held.catalog
    if held is not None and token is not None and held.token == token:
        return held
    catalog = _load(token)
    # No row (a flushed test database): never reuse a copy, since no write can replace it.
    _Held.catalog = catalog if token is not None else None
    return catalog


def forget_held_catalog() -> None:
    """Drop this process's copy (tests: another server never held it)."""
    _Held.catalog = None


def with_catalog_rows(courses: Iterable, catalog: Catalog) -> None:
    """Point each course (anything with treatment_id, product_id, lot_id) at its treatment,
    product and lot in the catalog (see lots_by_id and treatment_of for rows it lacks)."""
    courses = list(courses)
    lots = lots_by_id(catalog, {c.lot_id for c in courses if c.lot_id})
    for course in courses:
        course.treatment = treatment_of(catalog, course.treatment_id)
        if course.product_id:
            course.product = _product(catalog, course.product_id)
        if course.lot_id:
            course.lot = lots[course.lot_id]


def lots_by_id(catalog: Catalog, lot_ids: Iterable[int]) -> dict[int, ProductLot]:
    """These lots, each with its product and storage readings: from the catalog when it
    holds them (plannable, quarantined or recalled), and one query for the others (expired
    or discarded since they were planned, or newer than the held catalog)."""
    lot_ids = set(lot_ids)
    held = {**catalog.held_back_lots, **catalog.lots}
    lots = {pk: held[pk] for pk in lot_ids if pk in held}
    if missing := lot_ids - lots.keys():
        for lot in ProductLot.objects.filter(pk__in=missing).prefetch_related("storage_checks"):
            lot.product = _product(catalog, lot.product_id)
            lots[lot.pk] = lot
    return lots


def treatment_of(catalog: Catalog, pk: int) -> TreatmentType:
    """Treatment `pk` from the catalog; one added after its token was read, on its own."""
    return catalog.treatments.get(pk) or TreatmentType.objects.get(pk=pk)


def _product(catalog: Catalog, pk: int) -> ExosomeProduct:
    return catalog.products.get(pk) or ExosomeProduct.objects.get(pk=pk)


def _bump(sender, **kwargs):
    bump_catalog_version()


def connect_signals() -> None:
    for model in CATALOG_MODELS:
        uid = f"clinic.catalog_cache.{model.__name__}"
        post_save.connect(_bump, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"{uid}.delete")
