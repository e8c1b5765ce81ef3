"""Merging a duplicate patient (planner.actions.patient_merge) takes its delivered sessions,
its signed quotes and its recall ticks along: the lot's recall page and the sessions then
name the kept record only."""

from django.urls import reverse

from planner import actions
from planner.delivery import actions as delivery
from planner.models import RecallContact, SignedRecord, TreatmentSession
from tests.factories.planner import PatientFactory


def merge(keep, duplicate, user):
    return actions.patient_merge(
        keep=keep,
        merge=duplicate,
        user=user,
        expected_keep_version=keep.version,
        expected_merge_version=duplicate.version,
    )


def test_sessions_signatures_and_recall_ticks_move_to_the_kept_record(
    accepted_plan, patient, lot, clinician, clinic_admin
):
    keep = PatientFactory(full_name=patient.full_name, date_of_birth=patient.date_of_birth)
    delivery.recall_contact_tick(lot=lot, patient=patient, user=clinician)

    merge(keep, patient, clinic_admin)

    assert TreatmentSession.objects.filter(plan__patient=keep).count() == 3
    assert not TreatmentSession.objects.filter(plan__patient=patient).exists()
    assert SignedRecord.objects.get().plan.patient == keep
    contact = RecallContact.objects.get()
    assert contact.patient == keep
    assert contact.history.latest("history_date").history_user == clinic_admin


def test_a_lot_both_records_were_ticked_for_keeps_the_kept_tick(
    accepted_plan, patient, lot, clinician, clinic_admin
):
    keep = PatientFactory(full_name=patient.full_name)
    delivery.recall_contact_tick(lot=lot, patient=keep, user=clinic_admin)
    delivery.recall_contact_tick(lot=lot, patient=patient, user=clinician)

    merge(keep, patient, clinic_admin)

    assert RecallContact.objects.get(patient=keep).contacted_by == clinic_admin
    # The duplicate's own tick stays with it, as history; nothing is lost.
    assert RecallContact.objects.filter(patient=patient).exists()


def test_the_lot_page_names_the_kept_record_after_a_merge(
    accepted_plan, patient, lot, clinic_admin, admin_client_clinic
):
    keep = PatientFactory(full_name="Kept Record Name")
    merge(keep, patient, clinic_admin)

    page = admin_client_clinic.get(reverse("lot-detail", args=[lot.pk])).content.decode()

    assert reverse("patient-detail", args=[keep.pk]) in page
    assert reverse("patient-detail", args=[patient.pk]) not in page
