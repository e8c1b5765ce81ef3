"""seed_demo: synthetic data for the bench, deterministic and shaped like a real clinic's."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clinic.models import TreatmentType
from planner.models import Course, Patient, Plan, PlanStatus

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
TODAY = date(2026, 11, 23)


def seed(**options):
    call_command("seed_demo", today=TODAY, stdout=io.StringIO(), **options)


def snapshot():
    patients = list(Patient.objects.order_by("pk").values_list("full_name", "date_of_birth"))
    plans = [
        (p.title, p.status, p.ready_by, p.quote is not None, p.patient.full_name)
        for p in Plan.objects.select_related("patient").order_by("pk")
    ]
    courses = list(
        Course.objects.order_by("pk").values_list(
            "treatment__slug", "sessions", "interval_count", "interval_unit", "first_session"
        )
    )
    return patients, plans, courses


def test_the_same_arguments_give_the_same_rows():
    seed(patients=15, plans=60, seed=3)
    first = snapshot()
    Course.objects.all().delete()
    Plan.objects.all().delete()
    Patient.objects.all().delete()

    seed(patients=15, plans=60, seed=3)

    assert snapshot() == first


def test_rows_look_like_a_clinics():
    seed(patients=30, plans=300)

    assert Patient.objects.count() == 30 and Plan.objects.count() == 300
    assert set(Plan.objects.values_list("status", flat=True)) == set(PlanStatus.values)
    # Every course names an active catalog treatment; plans have one to six courses.
    active = set(TreatmentType.objects.filter(active=True).values_list("pk", flat=True))
    assert set(Course.objects.values_list("treatment_id", flat=True)) <= active
    assert Course.objects.count() >= 300
    # A plan shown to the patient carries its frozen quote; a draft does not.
    assert not Plan.objects.filter(status=PlanStatus.DRAFT, quote__isnull=False).exists()
    assert not Plan.objects.filter(status=PlanStatus.ACCEPTED, quote__isnull=True).exists()
    # History as simple-history would have written it, one record per row.
    assert Plan.history.count() == 300 and Course.history.count() == Course.objects.count()


def test_never_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="never in production"):
        seed(patients=1, plans=1)
