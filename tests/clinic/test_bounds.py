"""Typed values have sensible bounds and a clear message (security finding 14)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from clinic import bounds
from clinic.models import StorageCheck
from planner.models import Patient
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (bounds.NOTES_MAX_LENGTH + 1)


def messages_of(error: ValidationError, field: str) -> list[str]:
    return error.message_dict[field]


def test_patient_notes_over_the_limit_are_refused_with_the_limit_named(desk_client):
    response = desk_client.post(
        reverse("patient-create"), {"full_name": "Ada Lovelace", "notes": TOO_LONG}
    )
    assert response.status_code == 200
    expected = bounds.NOTES_TOO_LONG.format(limit=4000, length=4001)
    assert escape(expected) in response.content.decode()
    assert not Patient.objects.exists()


def test_notes_at_the_limit_are_kept(desk_client):
    notes = "y" * bounds.NOTES_MAX_LENGTH
    response = desk_client.post(reverse("patient-create"), {"full_name": "Ada", "notes": notes})
    assert response.status_code == 302
    assert Patient.objects.get().notes == notes


@pytest.mark.parametrize("checked_on", [date(1, 1, 1), date(1999, 12, 31)])
def test_a_storage_reading_from_year_one_is_refused(checked_on):
    check = StorageCheck(
        lot=ProductLotFactory(), checked_on=checked_on, temperature_celsius=Decimal("5")
    )
    with pytest.raises(ValidationError) as error:
        check.full_clean()
    assert messages_of(error.value, "checked_on") == [
        bounds.DATE_OUT_OF_RANGE.format(
            earliest="1 Jan 2000",
            latest=f"{date.today().day} {date.today():%b} {date.today().year}",
        )
    ]


def test_a_storage_reading_in_the_future_is_refused():
    check = StorageCheck(
        lot=ProductLotFactory(),
        checked_on=date.today() + timedelta(days=1),
        temperature_celsius=Decimal("5"),
    )
    with pytest.raises(ValidationError) as error:
        check.full_clean()
    assert "checked_on" in error.value.message_dict


@pytest.mark.parametrize("celsius", ["-273.1", "500", "-100.1", "60.1"])
def test_an_impossible_temperature_is_refused(celsius):
    check = StorageCheck(
        lot=ProductLotFactory(), checked_on=date.today(), temperature_celsius=Decimal(celsius)
    )
    with pytest.raises(ValidationError) as error:
        check.full_clean()
    assert messages_of(error.value, "temperature_celsius") == [
        bounds.READING_OUT_OF_RANGE.format(low=-100, high=60)
    ]


@pytest.mark.parametrize("celsius", ["-80", "2", "8", "25"])
def test_real_cold_chain_readings_are_accepted(celsius):
    StorageCheck(
        lot=ProductLotFactory(), checked_on=date.today(), temperature_celsius=Decimal(celsius)
    ).full_clean()


def test_lot_dates_are_bounded():
    lot = ProductLotFactory.build(
        product=ExosomeProductFactory(), received_on=date(1, 1, 1), expires_on=date(9999, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        lot.full_clean()
    assert {"received_on", "expires_on"} <= set(error.value.message_dict)


def test_product_storage_requirement_is_a_plausible_temperature():
    product = ExosomeProductFactory.build(storage_min_celsius=Decimal("-500"))
    with pytest.raises(ValidationError) as error:
        product.full_clean()
    assert "storage_min_celsius" in error.value.message_dict


def test_years_after_handles_29_february():
    assert bounds.years_after(date(2028, 2, 29), 10) == date(2038, 2, 28)
