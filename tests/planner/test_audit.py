"""Who changed what and when: the plan's change log, admin history, and records that are
archived rather than deleted."""

from datetime import timedelta

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from planner import actions
from planner.history import plan_change_log
from planner.models import Patient, Plan
from planner.planning import CourseDraft
from tests.factories.planner import PatientFactory

pytestmark = pytest.mark.django_db
# What the plan page costs today, however long its history (session, user and roles included):
# its history is read with the rest of its kept reading (planner.plan_page), and who made each
# change with the other names it shows.
PLAN_DETAIL_QUERY_BOUND = 7


@pytest.fixture
def microneedling(catalog):
    return catalog[MICRONEEDLING]


def draft(treatment, sessions=3, key="0"):
    return CourseDraft(
        key=key,
        treatment=treatment,
        sessions=sessions,
        interval_count=1,
        interval_unit="months",
        first_session=timezone.localdate() + timedelta(days=14),
    )


def save(plan, patient, user, drafts, title="Glow"):
    return actions.plan_save(
        plan=plan,
        patient=patient,
        fields=actions.PlanFields(title=title, indications=[], ready_by=None, notes=""),
        drafts=drafts,
        user=user,
        expected_version=plan.version if plan else None,
    )


def fresh(plan):
    return Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)


def test_change_log_names_who_changed_status_and_courses(front_desk, clinician, microneedling):
    patient = PatientFactory()
    plan = save(None, patient, front_desk, [draft(microneedling)])
    plan = save(fresh(plan), patient, clinician, [draft(microneedling, sessions=4)])
    plan = fresh(plan)
    actions.plan_transition(
        plan=plan, to_status="presented", user=clinician, expected_version=plan.version
    )

    log = plan_change_log(fresh(plan))
    lines = [f"{entry.who}: {entry.what}" for entry in log]
    desk = front_desk.get_full_name()
    doc = clinician.get_full_name()
    assert f"{desk}: created the plan" in lines
    assert f"{doc}: changed status Draft → Presented" in lines
    assert f"{doc}: courses now Microneedling + topical exosome × 4" in lines


def test_change_log_on_the_plan_page_costs_the_same_queries_for_long_histories(
    desk_client, front_desk, microneedling, django_assert_max_num_queries, django_assert_num_queries
):
    patient = PatientFactory()
    short = save(None, patient, front_desk, [draft(microneedling)])
    long = save(None, patient, front_desk, [draft(microneedling)])
    for sessions in range(1, 11):
        long = save(
            fresh(long), patient, front_desk, [draft(microneedling, sessions)], f"v{sessions}"
        )
    # Warm the catalog cache and each plan's rendered results (planner.fragments).
    for plan in (short, long):
        desk_client.get(reverse("plan-detail", args=[plan.pk]))

    with django_assert_max_num_queries(PLAN_DETAIL_QUERY_BOUND) as short_queries:
        assert desk_client.get(reverse("plan-detail", args=[short.pk])).status_code == 200
    with django_assert_num_queries(len(short_queries)):
        response = desk_client.get(reverse("plan-detail", args=[long.pk]))
    assert response.status_code == 200
    assert "changed title" in response.content.decode()


def test_admin_shows_plan_history_to_clinic_admin(admin_client_clinic, front_desk, microneedling):
    plan = save(None, PatientFactory(), front_desk, [draft(microneedling)])
    response = admin_client_clinic.get(reverse("admin:planner_plan_history", args=[plan.pk]))
    assert response.status_code == 200
    assert front_desk.username in response.content.decode()


def test_patient_with_plans_cannot_be_deleted_but_can_be_archived(
    desk_client, front_desk, microneedling
):
    patient = PatientFactory(full_name="Keep Me")
    save(None, patient, front_desk, [draft(microneedling)])
    with pytest.raises(ProtectedError):
        patient.delete()

    data = {"full_name": "Keep Me", "archived": "on", "version": patient.version}
    response = desk_client.post(reverse("patient-edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.archived is True
    desk_client.get(reverse("patient-detail", args=[patient.pk]))  # shows the saved message
    assert "Keep Me" not in desk_client.get(reverse("patient-list")).content.decode()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_admin_refuses_to_delete_a_patient(admin_client_clinic, front_desk, microneedling):
    # Patients are read-only in the admin; the database's PROTECT is the backstop.
    patient = PatientFactory(full_name="Has Plans")
    save(None, patient, front_desk, [draft(microneedling)])
    url = reverse("admin:planner_patient_delete", args=[patient.pk])
    response = admin_client_clinic.post(url, {"post": "yes"})
    assert response.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()
