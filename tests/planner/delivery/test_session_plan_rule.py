"""The database keeps session records to accepted plans (issue 14, data rules): a trigger on
SQLite and PostgreSQL alike, since the rule spans the session and its plan."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from planner.delivery.models import SessionStatus, TreatmentSession
from planner.models import Plan, PlanStatus
from tests.factories.planner import CourseFactory

pytestmark = pytest.mark.django_db


def session_on(status: str) -> TreatmentSession:
    course = CourseFactory(plan__status=status)
    return TreatmentSession(
        plan=course.plan, course=course, number=1, planned_date=course.first_session
    )


@pytest.mark.parametrize(
    "status", [PlanStatus.DRAFT, PlanStatus.PRESENTED, PlanStatus.DECLINED, PlanStatus.CANCELLED]
)
def test_no_session_record_for_a_plan_not_accepted(status):
    record = session_on(status)
    with pytest.raises(IntegrityError, match="session_plan_accepted"), transaction.atomic():
        record.save()


@pytest.mark.parametrize(
    "status", [PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED]
)
def test_session_records_on_accepted_plans(status):
    record = session_on(status)
    record.save()
    record.planned_date += timedelta(days=1)
    record.save()


def test_a_plan_moved_back_cannot_take_new_session_writes():
    record = session_on(PlanStatus.ACCEPTED)
    record.save()
    Plan.objects.filter(pk=record.plan_id).update(status=PlanStatus.PRESENTED)
    record.planned_date += timedelta(days=1)
    with pytest.raises(IntegrityError, match="session_plan_accepted"), transaction.atomic():
        record.save()


def test_a_cancelled_plan_closes_open_sessions_but_performs_none():
    record = session_on(PlanStatus.ACCEPTED)
    record.save()
    Plan.objects.filter(pk=record.plan_id).update(status=PlanStatus.CANCELLED)
    record.status = SessionStatus.CANCELLED
    record.save()  # cancelling the plan cancels what was still planned

    other = session_on(PlanStatus.ACCEPTED)
    other.save()
    Plan.objects.filter(pk=other.plan_id).update(status=PlanStatus.CANCELLED)
    other.status = SessionStatus.NO_SHOW
    with pytest.raises(IntegrityError, match="session_plan_accepted"), transaction.atomic():
        other.save()
