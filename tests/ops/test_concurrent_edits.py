"""Two staff saving the same plan at the same moment, on two real database connections:
exactly one save wins, the other is refused, and nothing is silently lost."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from planner import actions
from planner.models import Plan
from planner.planning import CourseDraft
from tests.factories.planner import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def draft(treatment, sessions):
    return CourseDraft(
        key="0",
        treatment=treatment,
        sessions=sessions,
        interval_count=1,
        interval_unit="months",
        first_session=timezone.localdate() + timedelta(days=7),
    )


def test_two_simultaneous_saves_one_wins_one_is_refused(front_desk, clinician, catalog):
    if connection.vendor == "sqlite" and "mode=memory" in str(connection.settings_dict["NAME"]):
        # The in-memory test database locks whole tables without waiting; the real
        # SQLite file (WAL, busy timeout) and PostgreSQL are what this test is about.
        pytest.skip("in-memory SQLite test database; runs on PostgreSQL in CI")
    treatment = catalog[MICRONEEDLING]
    plan = actions.plan_save(
        plan=None,
        patient=PatientFactory(),
        fields=actions.PlanFields(title="Original", indications=[], ready_by=None, notes=""),
        drafts=[draft(treatment, 3)],
        user=front_desk,
    )
    start = threading.Barrier(2)
    outcomes = {}

    def edit(user, title, sessions):
        try:
            mine = Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)
            start.wait(timeout=10)
            actions.plan_save(
                plan=mine,
                patient=mine.patient,
                fields=actions.PlanFields(title=title, indications=[], ready_by=None, notes=""),
                drafts=[draft(treatment, sessions)],
                user=user,
                expected_version=1,
            )
            outcomes[title] = "saved"
        except actions.PlanActionError as error:
            outcomes[title] = str(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=edit, args=(front_desk, "Desk's edit", 4)),
        threading.Thread(target=edit, args=(clinician, "Clinician's edit", 5)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == sorted(["saved", actions.STALE_EDIT])
    winner = next(title for title, outcome in outcomes.items() if outcome == "saved")
    saved = Plan.objects.get(pk=plan.pk)
    assert saved.title == winner
    assert saved.version == 2
    assert [c.sessions for c in saved.courses.all()] == [4 if winner == "Desk's edit" else 5]
