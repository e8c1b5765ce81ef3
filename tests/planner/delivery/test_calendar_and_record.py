"""The .ics follows the session records (moved: same UID, higher SEQUENCE; cancelled:
STATUS:CANCELLED; performed: stays) and the summary prints the treatment record."""

from datetime import timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from planner.delivery import actions as delivery
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.delivery.selectors import course_state

pytestmark = pytest.mark.django_db


def events(client, plan) -> dict:
    body = client.get(reverse("plan-calendar", args=[plan.pk])).content
    found = {}
    for event in Calendar.from_ical(body).walk("VEVENT"):
        found[str(event["uid"])] = event
    return found


def records(plan):
    return list(TreatmentSession.objects.filter(plan=plan).order_by("number"))


def state(plan):
    return course_state(TreatmentSession.objects.filter(plan=plan))


def test_calendar_follows_the_records(clinician_client, clinician, accepted_plan, lot, today):
    before = events(clinician_client, accepted_plan)
    first, second, third = records(accepted_plan)
    delivery.session_perform(
        session=first,
        performed_on=today,
        performer=clinician,
        lot=lot,
        user=clinician,
        expected_state=state(accepted_plan),
    )
    new_date = second.planned_date + timedelta(days=4)
    delivery.session_reschedule(
        session=second,
        new_date=new_date,
        keep_fixed={3},
        user=clinician,
        expected_state=state(accepted_plan),
    )
    delivery.session_close(
        session=third,
        status=SessionStatus.CANCELLED,
        user=clinician,
        expected_state=state(accepted_plan),
    )

    after = events(clinician_client, accepted_plan)

    assert set(after) == set(before)  # the same UIDs: the events update, never double
    by_number = {
        int(str(e["summary"]).split("session ")[1].split(" ")[0]): e for e in after.values()
    }
    assert by_number[1]["dtstart"].dt == today and str(by_number[1]["status"]) == "CONFIRMED"
    assert by_number[2]["dtstart"].dt == new_date and int(by_number[2]["sequence"]) == 1
    assert str(by_number[3]["status"]) == "CANCELLED" and int(by_number[3]["sequence"]) == 1


def test_summary_prints_the_treatment_record(
    clinician_client, clinician, accepted_plan, lot, today
):
    first = records(accepted_plan)[0]
    delivery.session_perform(
        session=first,
        performed_on=today,
        performer=clinician,
        lot=lot,
        user=clinician,
        expected_state=state(accepted_plan),
    )

    html = clinician_client.get(reverse("plan-summary", args=[accepted_plan.pk])).content.decode()

    assert "Treatment record" in html
    assert f"lot {lot.lot_number}" in html
    assert "Still planned" in html


def test_treatment_record_lists_courses_in_order_in_one_query(
    clinician, catalog, patient, django_assert_num_queries
):
    from clinic.catalog_cache import current_catalog, with_catalog_rows
    from clinic.catalog_seed import LASER, MICRONEEDLING
    from planner.delivery.selectors import treatment_record
    from tests.factories.planner import make_plan

    from .conftest import accept

    plan = make_plan(patient, catalog[LASER], catalog[MICRONEEDLING], sessions=2)
    # The second course first in the table: the record follows the plan's order, not ids.
    first, second = plan.courses.order_by("position")
    first.position, second.position = 1, 0
    first.save(), second.save()
    plan = accept(plan, clinician)
    draft = make_plan(patient, catalog[MICRONEEDLING])
    plan = type(plan).objects.prefetch_related("courses").get(pk=plan.pk)
    with_catalog_rows(plan.courses.all(), current_catalog())

    with django_assert_num_queries(1):
        rows = [(s.course.treatment.name, s.number) for s in treatment_record(plan=plan)]
    with django_assert_num_queries(0):  # never accepted: no records to read
        assert treatment_record(plan=draft) == []

    names = [catalog[MICRONEEDLING].name] * 2 + [catalog[LASER].name] * 2
    assert rows == list(zip(names, [1, 2, 1, 2], strict=True))
