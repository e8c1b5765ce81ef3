"""Who each lot reached (LotReach, LotUse): kept by every action that changes a session's
status, its lot or its plan's patient, so the lot page's counts and its patients in name
order are read from them. After each action the rows are also what a full rebuild from the
session records gives (tests.helpers.assert_derived_rows_kept)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import LotStatus
from planner import actions
from planner.delivery import actions as delivery
from planner.delivery.models import LotReach, LotUse, SessionStatus, TreatmentSession
from planner.delivery.selectors import course_state
from planner.models import PlanStatus
from tests.factories.clinic import ProductLotFactory
from tests.factories.planner import PatientFactory, make_plan
from tests.helpers import assert_derived_rows_kept
from tests.planner.delivery.conftest import accept

pytestmark = pytest.mark.django_db


def reach(lot) -> dict:
    """{patient name: (performed, planned)} for the lot, and its totals."""
    rows = {r.patient_name: (r.performed, r.planned) for r in LotReach.objects.filter(lot=lot)}
    use = LotUse.objects.filter(lot=lot).values_list("patients", "performed", "planned").first()
    return {"patients": rows, "totals": use or (0, 0, 0)}


def sessions(plan) -> list[TreatmentSession]:
    return list(TreatmentSession.objects.filter(plan=plan).order_by("number"))


def state(plan) -> str:
    return course_state(TreatmentSession.objects.filter(plan=plan))


def perform(plan, number, *, by, lot, today):
    delivery.session_perform(
        session=sessions(plan)[number - 1],
        performed_on=today,
        performer=by,
        lot=lot,
        user=by,
        expected_state=state(plan),
    )


def plan_on_lot(catalog, patient, lot, clinician, today, title="Course plan"):
    plan = make_plan(patient, catalog[MICRONEEDLING], sessions=3, title=title)
    plan.courses.update(product=lot.product, lot=lot, first_session=today)
    return accept(plan, clinician)


def test_accepting_a_plan_counts_its_planned_sessions(accepted_plan, patient, lot):
    assert reach(lot) == {"patients": {patient.full_name: (0, 3)}, "totals": (1, 0, 3)}
    assert_derived_rows_kept()


def test_performing_moves_a_session_from_planned_to_performed(
    accepted_plan, patient, lot, clinician, today
):
    perform(accepted_plan, 1, by=clinician, lot=lot, today=today)

    assert reach(lot) == {"patients": {patient.full_name: (1, 2)}, "totals": (1, 1, 2)}
    assert_derived_rows_kept()


def test_performing_with_another_lot_counts_on_the_lot_used(
    accepted_plan, patient, product, lot, clinician, today
):
    other = ProductLotFactory(
        product=product,
        lot_number="EXO-2",
        received_on=lot.received_on,
        expires_on=lot.expires_on,
        status=LotStatus.RELEASED,
    )

    perform(accepted_plan, 1, by=clinician, lot=other, today=today)

    assert reach(lot) == {"patients": {patient.full_name: (0, 2)}, "totals": (1, 0, 2)}
    assert reach(other) == {"patients": {patient.full_name: (1, 0)}, "totals": (1, 1, 0)}
    assert_derived_rows_kept()


@pytest.mark.parametrize("status", [SessionStatus.NO_SHOW, SessionStatus.CANCELLED])
def test_a_session_closed_unperformed_no_longer_counts(
    accepted_plan, patient, lot, front_desk, status
):
    delivery.session_close(
        session=sessions(accepted_plan)[0],  # planned today: a no-show is possible
        status=status,
        user=front_desk,
        expected_state=state(accepted_plan),
    )

    assert reach(lot)["patients"] == {patient.full_name: (0, 2)}
    assert_derived_rows_kept()


def test_cancelling_the_plan_keeps_only_what_was_performed(
    accepted_plan, patient, lot, clinician, front_desk, today
):
    perform(accepted_plan, 1, by=clinician, lot=lot, today=today)
    accepted_plan.refresh_from_db()

    actions.plan_transition(
        plan=accepted_plan,
        to_status=PlanStatus.CANCELLED,
        user=front_desk,
        expected_version=accepted_plan.version,
    )

    assert reach(lot) == {"patients": {patient.full_name: (1, 0)}, "totals": (1, 1, 0)}
    assert_derived_rows_kept()


def test_a_patient_the_lot_no_longer_reaches_leaves_its_list(
    accepted_plan, lot, front_desk, admin_client_clinic
):
    actions.plan_transition(
        plan=accepted_plan,
        to_status=PlanStatus.CANCELLED,
        user=front_desk,
        expected_version=accepted_plan.version,
    )

    assert reach(lot) == {"patients": {}, "totals": (0, 0, 0)}
    html = admin_client_clinic.get(reverse("lot-detail", args=[lot.pk])).content.decode()
    assert "Patients this lot reached or is planned for (0)" in html
    assert_derived_rows_kept()


def test_completing_by_hand_cancels_what_was_still_planned(
    accepted_plan, patient, lot, clinician, today
):
    perform(accepted_plan, 1, by=clinician, lot=lot, today=today)
    accepted_plan.refresh_from_db()

    delivery.plan_complete(
        plan=accepted_plan,
        reason="Patient moved away",
        user=clinician,
        expected_version=accepted_plan.version,
    )

    assert reach(lot)["patients"] == {patient.full_name: (1, 0)}
    assert_derived_rows_kept()


def test_renaming_a_patient_renames_and_reorders_the_lot_page(
    catalog, patient, lot, clinician, front_desk, today, admin_client_clinic
):
    zed = PatientFactory(full_name="Zed Example")
    plan_on_lot(catalog, patient, lot, clinician, today)
    plan_on_lot(catalog, zed, lot, clinician, today)
    patient.refresh_from_db()
    actions.patient_save(
        patient=patient,
        changes={"full_name": "Zoe Example"},
        user=front_desk,
        expected_version=patient.version,
    )

    html = admin_client_clinic.get(reverse("lot-detail", args=[lot.pk])).content.decode()

    assert html.index("Zed Example") < html.index("Zoe Example")
    assert set(reach(lot)["patients"]) == {"Zed Example", "Zoe Example"}
    assert_derived_rows_kept()


def test_merging_a_duplicate_counts_its_sessions_on_the_kept_record(
    catalog, patient, lot, clinician, clinic_admin, today
):
    keep = PatientFactory(full_name="Kept Record")
    plan_on_lot(catalog, patient, lot, clinician, today)
    plan_on_lot(catalog, keep, lot, clinician, today)
    assert reach(lot)["totals"] == (2, 0, 6)
    patient.refresh_from_db()
    keep.refresh_from_db()

    actions.patient_merge(
        keep=keep,
        merge=patient,
        user=clinic_admin,
        expected_keep_version=keep.version,
        expected_merge_version=patient.version,
    )

    assert reach(lot) == {"patients": {"Kept Record": (0, 6)}, "totals": (1, 0, 6)}
    assert_derived_rows_kept()


def test_the_lot_page_reads_a_screen_of_patients_in_name_order(
    catalog, lot, clinician, today, admin_client_clinic
):
    from planner.delivery.selectors import RECALL_PAGE_SIZE

    names = [f"Recall {index:02d}" for index in range(RECALL_PAGE_SIZE + 2)]
    for name in reversed(names):
        plan_on_lot(catalog, PatientFactory(full_name=name), lot, clinician, today)
    url = reverse("lot-detail", args=[lot.pk])

    first = admin_client_clinic.get(url).content.decode().split('id="performed-h"')[0]
    second = admin_client_clinic.get(url + "?patients=2").content.decode()

    assert f"Patients this lot reached or is planned for ({len(names)})" in first
    assert [name for name in names if name in first] == names[:RECALL_PAGE_SIZE]
    assert names[-1] in second.split('id="performed-h"')[0]
    assert_derived_rows_kept()


def test_a_later_performance_date_elsewhere_does_not_change_the_counts(
    accepted_plan, patient, lot, front_desk
):
    """Moving a session changes neither its lot nor its status: nothing to recount."""
    second = sessions(accepted_plan)[1]
    delivery.session_reschedule(
        session=second,
        new_date=second.planned_date + timedelta(days=3),
        user=front_desk,
        expected_state=state(accepted_plan),
    )

    assert reach(lot)["patients"] == {patient.full_name: (0, 3)}
    assert_derived_rows_kept()
