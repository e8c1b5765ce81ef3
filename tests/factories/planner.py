from datetime import date, timedelta

import factory
from django.utils import timezone

from clinic.models import IntervalUnit
from planner.models import Course, Patient, Plan, PlanStatus
from planner.patient_search import search_keys
from tests.factories.clinic import TreatmentTypeFactory


def keys_of(patient) -> dict[str, str]:
    return search_keys(full_name=patient.full_name, phone=patient.phone, email=patient.email)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    full_name = factory.Faker("name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    # Sequences, not Faker, so one patient's contact details never match another's search.
    phone = factory.Sequence(lambda n: f"+1 202 555 {n:04d}")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    # What planner.actions.patient_save keeps, so a factory patient is found like a real one.
    search_text = factory.LazyAttribute(lambda o: keys_of(o)["search_text"])
    name_key = factory.LazyAttribute(lambda o: keys_of(o)["name_key"])
    phone_key = factory.LazyAttribute(lambda o: keys_of(o)["phone_key"])
    email_key = factory.LazyAttribute(lambda o: keys_of(o)["email_key"])


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    patient = factory.SubFactory(PatientFactory)
    title = factory.Sequence(lambda n: f"Skin quality plan {n}")
    status = PlanStatus.DRAFT


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    plan = factory.SubFactory(PlanFactory)
    treatment = factory.SubFactory(TreatmentTypeFactory)
    position = factory.Sequence(lambda n: n)
    sessions = 3
    interval_count = 1
    interval_unit = IntervalUnit.MONTHS
    first_session = date(2027, 1, 10)


def make_plan(
    patient,
    *treatments,
    sessions=3,
    interval_count=4,
    interval_unit=IntervalUnit.WEEKS,
    title="Glow plan",
    **fields,
) -> Plan:
    """A saved plan with one course per treatment (none without), the first course starting
    in 14 days and each further one 200 days after the one before, so courses never overlap.
    `fields` go to the plan (status, ready_by, notes...)."""
    plan = PlanFactory(patient=patient, title=title, **fields)
    for position, treatment in enumerate(treatments):
        CourseFactory(
            plan=plan,
            position=position,
            treatment=treatment,
            sessions=sessions,
            interval_count=interval_count,
            interval_unit=interval_unit,
            first_session=timezone.localdate() + timedelta(days=14 + 200 * position),
        )
    return plan
