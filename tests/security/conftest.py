import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from clinic.models import TreatmentType
from tests.factories.accounts import force_verified_login
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory

MICRONEEDLING = "microneedling-topical-exosome"
LASER = "fractional-laser-topical-exosome"
INJECTABLE = "injectable-msc-exosome"


@pytest.fixture
def catalog(db) -> dict[str, TreatmentType]:
    call_command("load_catalog", stdout=io.StringIO())
    return {t.slug: t for t in TreatmentType.objects.all()}


def logged_in(user, **client_kwargs) -> Client:
    """A client of its own, so tests that need two roles never share one session."""
    return force_verified_login(Client(**client_kwargs), user)


@pytest.fixture
def patient(db):
    return PatientFactory(full_name="Ada Example")


def plan_with_course(patient, treatment, **fields):
    plan = PlanFactory(patient=patient, **fields)
    CourseFactory(
        plan=plan,
        position=0,
        treatment=treatment,
        sessions=3,
        interval_count=4,
        interval_unit="weeks",
        first_session=timezone.localdate() + timedelta(days=14),
    )
    return plan


@pytest.fixture
def draft_plan(catalog, patient):
    return plan_with_course(patient, catalog[MICRONEEDLING], title="Glow plan")


@pytest.fixture
def investigational_plan(catalog, patient):
    return plan_with_course(patient, catalog[INJECTABLE], title="Injectable plan")
