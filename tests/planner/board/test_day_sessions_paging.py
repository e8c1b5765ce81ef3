"""The board's sessions list reads only the time slots of the screen it shows (the slots
from the (status, day, time) index first): its pages must still be the full list's, in
order by day, time (none set: last in the day), patient name and id, each session once."""

import random
from datetime import time, timedelta

import pytest
from django.utils import timezone

from planner.board import day
from planner.delivery.models import TreatmentSession
from tests.planner.board import builders

pytestmark = pytest.mark.django_db


def test_pages_split_a_crowded_time_slot_as_the_full_list_does(catalog, front_desk):
    rng = random.Random(4)
    today = timezone.localdate()
    slots = [(0, time(10))] * 25 + [(0, time(9))] * 3 + [(0, None)] * 4 + [(1, time(8))] * 6
    slots += [(3, None)] * 2 + [(3, time(15, 30))] * 3
    for offset, at in rng.sample(slots, len(slots)):
        plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(offset,))
        plan.patient.full_name = rng.choice(["Ana", "Bea", "Cy", "Dee"]) + f" {rng.randrange(9)}"
        plan.patient.save()
        TreatmentSession.objects.filter(plan=plan).update(planned_time=at)
    everything = sorted(
        TreatmentSession.objects.select_related("plan__patient"),
        key=lambda s: (
            s.planned_date,
            s.planned_time is None,
            s.planned_time or time.min,
            s.plan.patient.full_name,
            s.pk,
        ),
    )
    assert everything[0].planned_date == today

    pages = [day.sessions_ahead(today=today, page=str(n)) for n in (1, 2, 3)]

    assert [row.pk for page in pages for row in page] == [s.pk for s in everything]
    assert [page.has_next for page in pages] == [True, True, False]
    assert day.sessions_ahead(today=today, page="9").number == 1  # past the end: page 1


def test_sessions_past_the_horizon_are_not_on_the_last_page(catalog, front_desk):
    today = timezone.localdate()
    builders.session_plan(catalog, staff=front_desk, days_ahead=(2, day.HORIZON_DAYS + 1))

    page = day.sessions_ahead(today=today, page=None)

    assert [row.planned_date for row in page] == [today + timedelta(days=2)]
