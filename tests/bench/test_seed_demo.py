"""seed_demo: synthetic data for the bench, deterministic and shaped like a real clinic's."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clinic.models import LotStatus, ProductLot, StorageCheck, TreatmentType
from planner.models import (
    Course,
    Deposit,
    Patient,
    Plan,
    PlanStatus,
    SessionStatus,
    ShareLink,
    SignedConsent,
    SignedRecord,
    SigningEvent,
    TreatmentSession,
)

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
    sessions = list(
        TreatmentSession.objects.order_by("pk").values_list(
            "plan_id", "number", "planned_date", "status", "planned_lot__lot_number"
        )
    )
    signed = list(SignedRecord.objects.order_by("pk").values_list("plan_id", "decision"))
    return patients, plans, courses, sessions, signed


def delete_seeded():
    for model in (Deposit, SigningEvent, SignedConsent, SignedRecord):
        model.objects.all().delete()
    ShareLink.objects.all().delete()
    TreatmentSession.history.all().delete()
    TreatmentSession.objects.all().delete()
    Course.objects.all().delete()
    Plan.objects.all().delete()
    Patient.objects.all().delete()
    StorageCheck.objects.all().delete()
    ProductLot.objects.all().delete()


def test_the_same_arguments_give_the_same_rows():
    seed(patients=15, plans=60, seed=3)
    first = snapshot()
    delete_seeded()

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


def test_plans_going_ahead_have_session_records_and_signatures():
    seed(patients=30, plans=300)

    with_sessions = {PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED}
    session_plans = set(TreatmentSession.objects.values_list("plan__status", flat=True))
    assert session_plans == with_sessions
    # One record per planned session of each course, as accepting a plan lays them out.
    for course in Course.objects.filter(plan__status__in=with_sessions)[:50]:
        assert course.session_records.count() == course.sessions
    # A finished plan has nothing left planned; a just-accepted one has nothing done yet.
    assert not TreatmentSession.objects.filter(
        plan__status=PlanStatus.COMPLETED, status=SessionStatus.PLANNED
    ).exists()
    assert not TreatmentSession.objects.filter(
        plan__status=PlanStatus.ACCEPTED, status=SessionStatus.PERFORMED
    ).exists()
    # A session with a product records the lot used (the database insists too).
    performed = TreatmentSession.objects.filter(status=SessionStatus.PERFORMED, needs_lot=True)
    assert performed.exists() and not performed.filter(lot_used__isnull=True).exists()
    # Every decided plan was signed or declined on its link, after the quote was shown.
    decided = Plan.objects.filter(status__in=with_sessions | {PlanStatus.DECLINED})
    assert SignedRecord.objects.count() == decided.count()
    for record in SignedRecord.objects.select_related("plan")[:50]:
        assert record.plan.quoted_at <= record.signed_at
        # The reports read the decision time and the quote's totals from their columns.
        assert record.plan.decided_at == record.signed_at
        if record.plan.quote["currency"]:
            assert record.plan.quote_low == Decimal(record.plan.quote["total_min"])
        assert record.link.used_at == record.signed_at
    # Open links for presented plans, some opened and not signed: the board's "waiting" list.
    waiting = ShareLink.objects.filter(plan__status=PlanStatus.PRESENTED, used_at__isnull=True)
    assert waiting.exists()
    assert SigningEvent.objects.filter(link__in=waiting, kind=SigningEvent.Kind.OPENED).exists()
    # One recalled and one quarantined lot, fridge readings with one excursion.
    statuses = set(ProductLot.objects.values_list("status", flat=True))
    assert {LotStatus.RECALLED, LotStatus.QUARANTINED, LotStatus.EXPIRED} <= statuses
    assert StorageCheck.objects.filter(temperature_celsius__gt=8).count() == 1
    assert Deposit.objects.exists()
