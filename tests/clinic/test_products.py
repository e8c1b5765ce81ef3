"""Exosome products and lots: the rules on the record, and the due-diligence assessment."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic import models as m
from clinic.due_diligence import assess
from clinic.formatting import format_lot_warning
from tests.factories.clinic import (
    ExosomeProductFactory,
    ProductLotFactory,
    StorageCheckFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


def lot_warning_texts(result) -> tuple[str, ...]:
    return tuple(format_lot_warning(w) for w in result.warnings)


def db_refuses(name, make):
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        make()


def errors_of(obj):
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


# --- rules ------------------------------------------------------------------------------------


def test_platelet_product_cannot_be_injected():
    product = ExosomeProductFactory.build(
        exosome_source="platelet",
        route_injection=True,
        regulatory_status="investigational",
        regulatory_reference="IND 1",
    )
    assert errors_of(product)["route_injection"] == [m.PLATELET_TOPICAL_ONLY]
    db_refuses("product_platelet_topical_only", product.save)


def test_injection_requires_investigational_status_and_nothing_is_cleared():
    product = ExosomeProductFactory.build(
        route_injection=True, regulatory_status="cosmetic_topical"
    )
    assert errors_of(product)["regulatory_status"] == [m.INJECTION_NEEDS_STATUS]
    db_refuses("product_injection_needs_status", product.save)
    # No exosome product is approved for aesthetic use: there is no such status to choose.
    cleared = ExosomeProductFactory.build(
        route_injection=True, regulatory_status="cleared", regulatory_reference="BLA 9"
    )
    assert "regulatory_status" in errors_of(cleared)
    db_refuses("product_injection_needs_status", cleared.save)
    topical_cleared = ExosomeProductFactory.build(regulatory_status="cleared")
    db_refuses("product_regulatory_status_known", topical_cleared.save)
    assert [label for _, label in m.ProductRegulatoryStatus.choices] == [
        "Cosmetic, topical use only",
        "Investigational: only inside an FDA IND or a registered clinical trial",
    ]


def test_product_needs_a_route_and_an_ordered_storage_range():
    product = ExosomeProductFactory.build(route_topical=False, route_injection=False)
    assert errors_of(product)["route_topical"] == [m.NEEDS_A_ROUTE]
    db_refuses("product_has_a_route", product.save)
    cold = ExosomeProductFactory.build(
        storage_min_celsius=Decimal("8"), storage_max_celsius=Decimal("2")
    )
    assert errors_of(cold)["storage_max_celsius"] == [m.STORAGE_RANGE_ORDER]
    db_refuses("product_storage_range_ordered", cold.save)


def test_investigational_product_needs_its_reference():
    product = ExosomeProductFactory.build(regulatory_status="investigational")
    assert errors_of(product)["regulatory_reference"] == [m.REFERENCE_NEEDED]


def test_lot_expiry_after_received_and_sizes_positive_and_ordered():
    product = ExosomeProductFactory()
    lot = ProductLotFactory.build(
        product=product, received_on=date(2027, 1, 1), expires_on=date(2026, 12, 31)
    )
    assert errors_of(lot)["expires_on"] == [m.EXPIRY_BEFORE_RECEIVED]
    db_refuses("lot_expiry_after_received", lot.save)

    negative = ProductLotFactory.build(product=product, size_median_nm=Decimal("-5"))
    assert errors_of(negative)["size_median_nm"] == [m.SIZE_NOT_POSITIVE]
    db_refuses("lot_size_median_nm_positive", negative.save)

    backwards = ProductLotFactory.build(
        product=product, size_min_nm=Decimal("150"), size_max_nm=Decimal("30")
    )
    assert errors_of(backwards)["size_max_nm"] == [m.MIN_ABOVE_MAX]
    db_refuses("lot_size_range_ordered", backwards.save)


def test_lot_number_unique_per_product_only():
    first = ProductLotFactory(lot_number="A1")
    ProductLotFactory(lot_number="A1")  # another product's lot A1 is fine
    db_refuses(
        "lot_number_per_product|UNIQUE constraint failed: clinic_productlot.product_id",
        lambda: ProductLotFactory(product=first.product, lot_number="A1"),
    )


# --- due diligence ----------------------------------------------------------------------------


def test_fully_documented_product_and_lot_answer_all_four_questions():
    lot = ProductLotFactory()
    result = assess(lot.product, lot=lot, readings=[], today=TODAY)
    assert result.complete
    assert result.warnings == ()


def test_missing_answers_are_named():
    product = ExosomeProductFactory(source_cell_line="", clinical_evidence="")
    lot = ProductLotFactory(product=product, surface_markers="", particles_per_ml=None)
    result = assess(product, lot=lot, today=TODAY)
    assert not result.complete
    assert result.gaps == [
        "What is the source cell line?",
        "What characterisation data exists for this lot?",
        "What clinical outcome data supports this product?",
    ]
    detail = {a.key: a.detail for a in result.answers}
    assert (
        detail["characterisation"]
        == f"Lot {lot.lot_number} lacks: particle count, surface markers."
    )


def test_no_lot_means_characterisation_unanswered():
    result = assess(ExosomeProductFactory(), today=TODAY)
    assert [a.key for a in result.answers if not a.answered] == ["characterisation"]


def test_size_outside_exosome_range_warns():
    lot = ProductLotFactory(lot_number="S1", size_min_nm=Decimal("20"), size_max_nm=Decimal("180"))
    assert lot_warning_texts(assess(lot.product, lot=lot, today=TODAY)) == (
        "Lot S1 measures 20–180 nm, outside the 30–150 nm of exosomes: it may contain other "
        "particles.",
    )


def test_storage_reading_outside_required_range_warns():
    lot = ProductLotFactory(lot_number="C7")
    StorageCheckFactory(lot=lot, temperature_celsius=Decimal("4"))
    StorageCheckFactory(lot=lot, checked_on=date(2026, 10, 9), temperature_celsius=Decimal("12.5"))
    result = assess(lot.product, lot=lot, readings=lot.storage_checks.all(), today=TODAY)
    assert lot_warning_texts(result) == (
        "Lot C7 was stored at 12.5 °C on 9 Oct 2026, outside the required 2 °C to 8 °C.",
    )


def test_lot_expiring_before_a_planned_session_warns():
    lot = ProductLotFactory(lot_number="E2", expires_on=date(2027, 2, 15))
    planned = [
        (1, date(2026, 12, 1)),
        (2, date(2027, 1, 1)),
        (3, date(2027, 2, 1)),
        (4, date(2027, 3, 1)),
    ]
    assert lot_warning_texts(
        assess(lot.product, lot=lot, today=TODAY, planned_sessions=planned)
    ) == ("Lot E2 expires on 15 Feb 2027, before session 4 on 1 Mar 2027.",)
    expired = ProductLotFactory(lot_number="E3", expires_on=date(2026, 11, 1))
    assert lot_warning_texts(assess(expired.product, lot=expired, today=TODAY)) == (
        "Lot E3 expired on 1 Nov 2026.",
    )


# --- admin ------------------------------------------------------------------------------------


def test_clinic_admin_records_a_lot_with_a_storage_reading_and_sees_the_warning(
    admin_client_clinic, clinic_admin
):
    product = ExosomeProductFactory()
    data = {
        "product": product.pk,
        "lot_number": "K9",
        "received_on": "2026-10-01",
        "expires_on": "2027-10-01",
        "particles_per_ml": "1000000000",
        "size_median_nm": "90",
        "size_mode_nm": "",
        "size_min_nm": "40",
        "size_max_nm": "140",
        "surface_markers": "CD63",
        "characterisation_document": "",
        "storage_checks-TOTAL_FORMS": "1",
        "storage_checks-INITIAL_FORMS": "0",
        "storage_checks-0-checked_on": "2026-10-05",
        "storage_checks-0-temperature_celsius": "15",
        "storage_checks-0-notes": "fridge door left open",
    }
    response = admin_client_clinic.post(reverse("admin:clinic_productlot_add"), data)
    assert response.status_code == 302
    lot = m.ProductLot.objects.get(lot_number="K9")
    reading = lot.storage_checks.get()
    assert reading.checked_by == clinic_admin

    listing = admin_client_clinic.get(reverse("admin:clinic_productlot_changelist"))
    assert "Lot K9 was stored at 15 °C on 5 Oct 2026" in listing.content.decode()


def test_admin_refuses_expiry_before_received_and_saves_nothing(admin_client_clinic):
    product = ExosomeProductFactory()
    data = {
        "product": product.pk,
        "lot_number": "BAD",
        "received_on": "2027-01-01",
        "expires_on": "2026-01-01",
        "storage_checks-TOTAL_FORMS": "0",
        "storage_checks-INITIAL_FORMS": "0",
    }
    response = admin_client_clinic.post(reverse("admin:clinic_productlot_add"), data)
    assert response.status_code == 200
    assert m.EXPIRY_BEFORE_RECEIVED in response.content.decode()
    assert not m.ProductLot.objects.exists()


def test_front_desk_cannot_change_products(client, front_desk):
    front_desk.is_staff = True
    front_desk.save()
    client.force_login(front_desk)
    product = ExosomeProductFactory()
    response = client.post(reverse("admin:clinic_exosomeproduct_change", args=[product.pk]), {})
    assert response.status_code == 302  # to the admin's login page: not a clinic admin
    assert response.url.startswith(reverse("admin:login"))
