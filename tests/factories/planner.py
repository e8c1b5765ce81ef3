from datetime import date

import factory

from clinic.models import IntervalUnit
from planner.models import Course, Patient, Plan, PlanStatus
from tests.factories.clinic import TreatmentTypeFactory


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    full_name = factory.Faker("name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    # Sequences, not Faker, so one patient's contact details never match another's search.
    phone = factory.Sequence(lambda n: f"+1 202 555 {n:04d}")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")


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
