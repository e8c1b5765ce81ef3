"""A patient name made only of invisible or text-direction characters is refused: it would
show as a blank (or reorder the text around it) on lists, plans and the summary."""

import pytest
from django.urls import reverse

from clinic.text import NAME_INVISIBLE, is_invisible_only
from planner.models import Patient
from tests.factories.planner import PatientFactory

pytestmark = pytest.mark.django_db

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2066\u2069\u200d\ufeff",
    "\u202e \u200b\u00a0",
]


@pytest.mark.parametrize("name", INVISIBLE)
def test_patient_create_invisible_name_refused(desk_client, name):
    response = desk_client.post(reverse("patient-create"), {"full_name": name})

    assert response.status_code == 200
    assert response.context["form"].errors["full_name"] == [NAME_INVISIBLE]
    assert not Patient.objects.exists()


def test_patient_edit_invisible_name_refused(desk_client):
    patient = PatientFactory(full_name="Ada Example")
    response = desk_client.post(reverse("patient-edit", args=[patient.pk]), {"full_name": "\u200b"})

    assert response.context["form"].errors["full_name"] == [NAME_INVISIBLE]
    patient.refresh_from_db()
    assert patient.full_name == "Ada Example"


@pytest.mark.parametrize("name", ["Ada Example", "Zoë \u200dO'Brien", "محمد", "李雷", "A"])
def test_visible_names_accepted(name):
    assert not is_invisible_only(name)
