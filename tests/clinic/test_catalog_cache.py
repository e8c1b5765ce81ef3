"""The cached catalog (clinic/catalog_cache.py): every catalog write, whatever its path and
whichever app server makes it, is seen by the next request of every server."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import catalog_cache
from clinic.catalog_cache import current_catalog, forget_held_catalog
from clinic.catalog_seed import MICRONEEDLING
from clinic.lots.actions import lot_change_status, storage_check_record
from clinic.models import (
    CatalogVersion,
    EvidenceNote,
    LotStatus,
    PriceRange,
    ProductLot,
    StorageCheck,
    TreatmentType,
)
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.planner.test_plan_products import editor_data

HTMX = {"HX-Request": "true"}


def token() -> str:
    return CatalogVersion.objects.get(pk=1).token


def recalculation(client, patient, treatment):
    url = f"{reverse('plan-create')}?patient={patient.pk}"
    response = client.post(url, editor_data(treatment), headers=HTMX)
    assert response.status_code == 200
    return response.context["outlook"].estimate


@pytest.fixture
def held(catalog):
    """A server that has read the catalog and holds it."""
    forget_held_catalog()
    current_catalog()
    return catalog_cache._Held.catalog


def test_a_current_copy_costs_one_query(held, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert current_catalog() is held


def test_a_price_change_is_never_served_from_a_stale_copy(desk_client, catalog, patient):
    treatment = catalog[MICRONEEDLING]
    before = recalculation(desk_client, patient, treatment)
    for price in PriceRange.objects.filter(treatment=treatment):  # as the admin saves them
        price.minimum += 100
        price.maximum += 100
        price.save()
    after = recalculation(desk_client, patient, treatment)
    assert after.total_min > before.total_min
    assert after.total_max > before.total_max


def test_a_write_on_another_server_is_seen(held, catalog):
    # Another server writes: its own process never held our copy, only the row is shared.
    treatment = catalog[MICRONEEDLING]
    TreatmentType.objects.filter(pk=treatment.pk).update(name="Collagen induction")
    catalog_cache._Held.catalog = held  # this server still holds what it read before
    assert current_catalog().treatments[treatment.pk].name == "Collagen induction"


def test_a_fresh_server_reads_the_catalog_and_keeps_the_shared_token(held):
    before = token()
    forget_held_catalog()
    fresh = current_catalog()
    assert fresh is not held and fresh.token == before == token()


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda c: c[MICRONEEDLING].save(), id="treatment save (admin)"),
        pytest.param(
            lambda c: TreatmentType.objects.filter(pk=c[MICRONEEDLING].pk).update(active=False),
            id="treatment queryset update",
        ),
        pytest.param(
            lambda c: PriceRange.objects.filter(treatment=c[MICRONEEDLING]).update(
                maximum=Decimal("9999")
            ),
            id="price range queryset update",
        ),
        pytest.param(
            lambda c: PriceRange.objects.filter(treatment=c[MICRONEEDLING]).delete(),
            id="price range delete",
        ),
        pytest.param(
            lambda c: PriceRange.objects.bulk_create(
                [
                    PriceRange(
                        treatment=c[MICRONEEDLING],
                        unit="session",
                        minimum=1,
                        maximum=2,
                        currency="USD",
                        effective_from=date(2030, 1, 1),
                    )
                ]
            ),
            id="price range bulk create",
        ),
        pytest.param(
            lambda c: TreatmentType.objects.bulk_update([c[MICRONEEDLING]], ["name"]),
            id="treatment bulk update",
        ),
        pytest.param(lambda c: ExosomeProductFactory(), id="product created"),
        pytest.param(
            lambda c: EvidenceNote.objects.update(active=False), id="evidence notes update"
        ),
    ],
)
def test_every_catalog_write_replaces_the_token(held, catalog, write):
    before = token()
    write(catalog)
    assert token() != before
    assert current_catalog() is not held


def test_load_catalog_replaces_the_token(db):
    forget_held_catalog()
    assert current_catalog().treatments == {}
    call_command("load_catalog", stdout=io.StringIO())
    assert MICRONEEDLING in {t.slug for t in current_catalog().treatments.values()}


def test_lot_status_changes_and_storage_readings_replace_the_token(clinician):
    lot = ProductLotFactory(status=LotStatus.RELEASED)
    spare = ProductLotFactory(status=LotStatus.RELEASED, product=lot.product)
    forget_held_catalog()
    first = current_catalog()
    assert lot.pk in first.lots
    storage_check_record(
        lot=lot,
        checked_on=timezone.localdate(),
        temperature_celsius=Decimal("4.0"),
        user=clinician,
        expected_version=lot.version,
    )
    second = current_catalog()
    assert second is not first
    assert [r.pk for r in second.lots[lot.pk].storage_checks.all()] == [
        StorageCheck.objects.get(lot=lot).pk
    ]
    lot_change_status(
        lot=lot,
        to_status=LotStatus.QUARANTINED,
        reason="Cold chain broken",
        user=clinician,
        expected_version=lot.version,
    )
    assert lot.pk not in current_catalog().lots
    assert spare.pk in current_catalog().lots
    ProductLot.objects.filter(pk=spare.pk).delete()
    assert current_catalog().lots == {}


def test_a_rolled_back_write_leaves_no_copy_that_a_later_token_matches(held, catalog):
    treatment = catalog[MICRONEEDLING]
    with pytest.raises(RuntimeError), transaction.atomic():
        TreatmentType.objects.filter(pk=treatment.pk).update(name="Never committed")
        assert current_catalog().treatments[treatment.pk].name == "Never committed"
        raise RuntimeError
    TreatmentType.objects.filter(pk=treatment.pk).update(sessions_max=treatment.sessions_max)
    assert current_catalog().treatments[treatment.pk].name == treatment.name


def test_without_the_token_row_nothing_is_held(catalog):
    CatalogVersion.objects.all().delete()
    first = current_catalog()
    assert catalog_cache._Held.catalog is None
    assert current_catalog() is not first


def test_a_course_naming_a_lot_no_longer_plannable_still_gets_it(catalog, clinician):
    plannable = ProductLotFactory(status=LotStatus.RELEASED)
    quarantined = ProductLotFactory(status=LotStatus.QUARANTINED, product=plannable.product)
    StorageCheck.objects.create(
        lot=quarantined, checked_on=date(2026, 10, 2), temperature_celsius=Decimal("9")
    )
    forget_held_catalog()
    held = current_catalog()
    assert quarantined.pk not in held.lots
    treatment = catalog[MICRONEEDLING]
    courses = [
        SimpleNamespace(treatment_id=treatment.pk, product_id=lot.product_id, lot_id=lot.pk)
        for lot in (plannable, quarantined)
    ]
    catalog_cache.with_catalog_rows(courses, held)
    assert courses[0].lot is held.lots[plannable.pk]
    assert courses[1].lot.pk == quarantined.pk
    assert courses[1].lot.product is held.products[plannable.product_id]
    assert [r.temperature_celsius for r in courses[1].lot.storage_checks.all()] == [Decimal("9")]
    assert courses[1].treatment is held.treatments[treatment.pk]


def test_lots_held_back_are_held_apart_from_the_plannable_ones(catalog, django_assert_num_queries):
    """Quarantined and recalled lots are held (sessions that name them show blocked, with no
    query of their own); expired and discarded ones, which only accumulate, are not."""
    lots = {status: ProductLotFactory(status=status) for status in LotStatus.values}
    StorageCheck.objects.create(
        lot=lots[LotStatus.RECALLED], checked_on=date(2026, 10, 2), temperature_celsius=Decimal("9")
    )
    forget_held_catalog()
    held = current_catalog()

    kept_back = {LotStatus.QUARANTINED, LotStatus.RECALLED}
    assert {lots[s].pk for s in kept_back} == set(held.held_back_lots)
    assert not {lots[s].pk for s in kept_back} & set(held.lots)
    for status in (LotStatus.EXPIRED, LotStatus.DISCARDED):
        assert lots[status].pk not in held.lots and lots[status].pk not in held.held_back_lots
    recalled = held.held_back_lots[lots[LotStatus.RECALLED].pk]
    assert recalled.product is held.products[recalled.product_id]
    assert [r.temperature_celsius for r in recalled.storage_checks.all()] == [Decimal("9")]
    course = SimpleNamespace(
        treatment_id=catalog[MICRONEEDLING].pk, product_id=recalled.product_id, lot_id=recalled.pk
    )
    with django_assert_num_queries(0):
        catalog_cache.with_catalog_rows([course], held)
    assert course.lot is recalled


def test_a_consent_document_change_replaces_the_token(held, catalog):
    from clinic.models import ConsentDocument

    before = token()
    document = ConsentDocument.objects.create(
        slug="new-consent", title="New consent", text="Text.", treatment_kinds=["topical"]
    )
    assert token() != before
    assert document in current_catalog().consent_documents
    before = token()
    ConsentDocument.objects.filter(pk=document.pk).update(active=False)
    assert token() != before
    assert document not in current_catalog().consent_documents
