"""Writes that touch several rows: each one function, one transaction, keyword-only."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.formatting import format_lot_warning
from planner import workflow
from planner.models import Course, Patient, Plan, PlanStatus
from planner.planning import (
    CourseDraft,
    drafts_of,
    gaps_text,
    quote_from_estimate,
    shown_fingerprint,
)
from planner.selectors import plan_outlook_for


class PlanActionError(Exception):
    """A rule refused the action; the message is meant for staff, as it is."""


STALE_EDIT = (
    "Someone else changed this plan while you were editing it. Your changes are still in "
    "the form below; compare them with the saved plan before saving again."
)
NOT_EDITABLE = "Only a draft plan can be edited. Reprice it (back to draft) first."
TRANSITION_NOT_ALLOWED = "A {current} plan cannot be marked {target}."
INVESTIGATIONAL_RECORD_MISSING = (
    "This plan includes an investigational (not FDA-approved) treatment. A clinician must "
    "record the IND or clinical-trial reference and the patient's acknowledgement before "
    "it can be presented or accepted."
)
NO_COURSES = "A plan needs at least one course before it can be presented."
STALE_SIGN_OFF = (
    "This plan changed after the page you signed off on was opened (its courses, products, "
    "lots or open questions). Nothing was recorded: read the plan as it is now and sign off "
    "again."
)
SIGN_OFF_CLOSED = "Nothing was recorded: a {status} plan takes no new sign-off."
DUE_DILIGENCE_UNACKNOWLEDGED = (
    "A product in this plan has open due-diligence questions or lot warnings. A clinician "
    "must acknowledge exactly these before the plan can be presented or accepted."
)
LOT_CANNOT_BE_USED = (
    "{warning} An expired lot cannot be used on a session date: choose another lot for that "
    "course first."
)
INVESTIGATIONAL_PRODUCT_MISSING = (
    "Name the product for {treatments}: an investigational preparation needs its product and "
    "its due diligence recorded before the plan can be presented or accepted."
)
INVESTIGATIONAL_LOT_MISSING = (
    "Name the lot for {treatments} before treatment starts: the patient's record must show "
    "which lot of the investigational preparation is used."
)


def _claim_version(
    record: Plan | Patient,
    expected_version: int | None,
    *,
    status: str | None = None,
    stale_message: str = STALE_EDIT,
):
    """Bump the record's version only if nobody else has since `expected_version` was read.

    One conditional UPDATE, so of two staff saving at once exactly one wins; the other
    gets the stale message and keeps their input. Call inside the caller's transaction."""
    rows = type(record).objects.filter(pk=record.pk, version=expected_version)
    if status is not None:
        rows = rows.filter(status=status)
    if not rows.update(version=F("version") + 1):
        raise PlanActionError(stale_message)
    record.version = expected_version + 1


STALE_PATIENT = (
    "Someone else changed this patient's record while you were editing it. Nothing was "
    "saved: your changes are still in the form; compare them with the record as it is now "
    "(open it in another tab) and save again."
)
PATIENT_FIELDS = ("full_name", "date_of_birth", "phone", "email", "notes", "archived")


@transaction.atomic
def patient_save(
    *, patient: Patient | None, changes: dict, user, expected_version: int | None = None
) -> Patient:
    """Create a patient, or update one as of the version the editor's page was read at."""
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not patient fields: {sorted(unknown)}")
    if patient is None:
        patient = Patient(created_by=user)
    else:
        _claim_version(patient, expected_version, stale_message=STALE_PATIENT)
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.updated_by = user
    patient.full_clean(exclude=["created_by", "updated_by"])
    _save_with_history(patient, user)
    return patient


@dataclass(frozen=True)
class PlanFields:
    title: str
    indications: list[str]
    ready_by: object  # date | None
    notes: str


@transaction.atomic
def plan_save(
    *,
    plan: Plan | None,
    patient: Patient,
    fields: PlanFields,
    drafts: list[CourseDraft],
    user,
    expected_version: int | None = None,
) -> Plan:
    """Create or update a draft plan and replace its courses, all or nothing.

    The version check and bump happen in one UPDATE, so of two staff saving the same plan
    at once exactly one wins and the other is told, with nothing silently lost."""
    if plan is None:
        plan = Plan(patient=patient, created_by=user)
    else:
        if plan.status != PlanStatus.DRAFT:
            raise PlanActionError(NOT_EDITABLE)
        _claim_version(plan, expected_version, status=PlanStatus.DRAFT)
        if _investigational_signature(list(plan.courses.all())) != _investigational_signature(
            drafts
        ):
            # The patient acknowledged a specific investigational course; a changed course
            # needs a fresh record before the plan can be presented again.
            plan.investigational_reference = ""
            plan.patient_acknowledged_investigational = False
            plan.investigational_recorded_by = None
            plan.investigational_recorded_at = None
    plan.title = fields.title
    plan.indications = list(fields.indications)
    plan.ready_by = fields.ready_by
    plan.notes = fields.notes
    plan.updated_by = user
    plan.full_clean(exclude=["patient", "created_by", "updated_by", "alternative_of"])
    _save_with_history(plan, user)
    for old in plan.courses.all():
        old._history_user = user
        old.delete()
    courses = [
        Course(
            plan=plan,
            position=position,
            treatment=draft.treatment,
            sessions=draft.sessions,
            interval_count=draft.interval_count,
            interval_unit=draft.interval_unit,
            first_session=draft.first_session,
            exosome_source=draft.exosome_source,
            product=draft.product,
            lot=draft.lot,
        )
        for position, draft in enumerate(drafts)
    ]
    for course in courses:
        course.full_clean(exclude=["plan"])
    # Saved one by one (not bulk) so each course gets its history record.
    for course in courses:
        _save_with_history(course, user)
    return plan


def _save_with_history(instance, user) -> None:
    """Save, recording `user` in the history even outside a request (commands, tests)."""
    instance._history_user = user
    instance.save()


def _investigational_signature(courses) -> list[tuple]:
    """What a patient's acknowledgement of an investigational course refers to."""
    return [
        (
            c.treatment.pk,
            c.sessions,
            c.interval_count,
            c.interval_unit,
            c.first_session,
            # The preparation is part of what the patient acknowledged: a swapped product
            # or lot needs a fresh record too.
            c.product.pk if c.product else None,
            c.lot.pk if c.lot else None,
        )
        for c in courses
        if c.treatment.is_investigational
    ]


@transaction.atomic
def plan_transition(*, plan: Plan, to_status: str, user, expected_version: int) -> Plan:
    """Move a plan along the workflow, freezing or thawing its quote on the way. Accepting
    creates the session records (whoever accepts: staff here, or the patient signing);
    cancelling cancels the sessions still planned."""
    # Imported here: planner.delivery builds on this module (and imports it).
    from planner.delivery import actions as delivery

    if not workflow.can_transition(plan.status, to_status):
        raise PlanActionError(
            TRANSITION_NOT_ALLOWED.format(
                current=plan.get_status_display().lower(),
                target=PlanStatus(to_status).label.lower(),
            )
        )
    outlook = plan_outlook_for(plan=plan, today=timezone.localdate())
    if to_status in workflow.NEEDS_INVESTIGATIONAL_RECORD:
        if not plan.courses.all():
            raise PlanActionError(NO_COURSES)
        if plan.has_investigational_course and not plan.investigational_recorded:
            raise PlanActionError(INVESTIGATIONAL_RECORD_MISSING)
        if outlook.investigational_without_product:
            raise PlanActionError(
                INVESTIGATIONAL_PRODUCT_MISSING.format(
                    treatments=", ".join(outlook.investigational_without_product)
                )
            )
        if outlook.blocking_lot_warnings:
            warning = format_lot_warning(outlook.blocking_lot_warnings[0])
            raise PlanActionError(LOT_CANNOT_BE_USED.format(warning=warning))
        gaps = outlook.due_diligence_gaps
        if gaps and plan.due_diligence_gaps_acknowledged != gaps_text(gaps):
            raise PlanActionError(DUE_DILIGENCE_UNACKNOWLEDGED)
        delivery.check_plannable_lots(c.lot for c in plan.courses.all())
    if to_status == PlanStatus.IN_PROGRESS:
        if outlook.investigational_without_lot:
            raise PlanActionError(
                INVESTIGATIONAL_LOT_MISSING.format(
                    treatments=", ".join(outlook.investigational_without_lot)
                )
            )
        if outlook.blocking_lot_warnings:
            warning = format_lot_warning(outlook.blocking_lot_warnings[0])
            raise PlanActionError(LOT_CANNOT_BE_USED.format(warning=warning))
    _claim_version(plan, expected_version, status=plan.status)

    if to_status in workflow.FROZEN_STATUSES and plan.quote is None:
        # No quote yet, so the outlook's estimate is today's: the figures the patient sees.
        plan.quote = quote_from_estimate(outlook.estimate)
        plan.quoted_at = timezone.now()
    elif to_status == PlanStatus.DRAFT:
        plan.quote = None
        plan.quoted_at = None
    plan.status = to_status
    plan.updated_by = user
    _save_with_history(plan, user)
    if to_status == PlanStatus.ACCEPTED:
        delivery.plan_sessions_materialise(plan=plan, user=user)
    elif to_status == PlanStatus.CANCELLED:
        delivery.sessions_cancel_open(plan=plan, user=user, note="Plan cancelled.")
    return plan


def _check_sign_off(plan: Plan, *, expected_version: int | None, expected_fingerprint: str):
    """A clinician's record refers to the plan as it was on their screen: refused when the
    plan has moved on (not a draft or presented any more, edited, or its products' records
    changed), so nobody signs off something they did not see."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.PRESENTED):
        raise PlanActionError(SIGN_OFF_CLOSED.format(status=plan.get_status_display().lower()))
    outlook = plan_outlook_for(plan=plan, today=timezone.localdate())
    if expected_fingerprint != shown_fingerprint(drafts_of(plan), outlook.due_diligence_gaps):
        raise PlanActionError(STALE_SIGN_OFF)
    _claim_version(plan, expected_version, status=plan.status, stale_message=STALE_SIGN_OFF)
    return outlook


@transaction.atomic
def plan_record_investigational(
    *,
    plan: Plan,
    reference: str,
    patient_acknowledged: bool,
    user,
    expected_version: int | None,
    expected_fingerprint: str,
) -> Plan:
    """A clinician records the IND/trial reference and the patient's acknowledgement of the
    plan exactly as shown to them (version and fingerprint checked)."""
    _check_sign_off(
        plan, expected_version=expected_version, expected_fingerprint=expected_fingerprint
    )
    plan.investigational_reference = reference.strip()
    plan.patient_acknowledged_investigational = patient_acknowledged
    plan.investigational_recorded_by = user
    plan.investigational_recorded_at = timezone.now()
    plan.updated_by = user
    _save_with_history(plan, user)
    return plan


@transaction.atomic
def plan_acknowledge_due_diligence(
    *, plan: Plan, user, expected_version: int | None, expected_fingerprint: str
) -> Plan:
    """A clinician accepts the gaps they were shown; if the gaps change, a new
    acknowledgement is due (presenting compares the text)."""
    outlook = _check_sign_off(
        plan, expected_version=expected_version, expected_fingerprint=expected_fingerprint
    )
    plan.due_diligence_gaps_acknowledged = gaps_text(outlook.due_diligence_gaps)
    plan.due_diligence_acknowledged_by = user
    plan.due_diligence_acknowledged_at = timezone.now()
    plan.updated_by = user
    _save_with_history(plan, user)
    return plan


@transaction.atomic
def plan_duplicate(*, plan: Plan, user) -> Plan:
    """Copy a plan and its courses into a new draft: an alternative to compare against."""
    copy = Plan(
        patient=plan.patient,
        title=f"{plan.title} (option B)"[:200],
        indications=list(plan.indications),
        ready_by=plan.ready_by,
        notes=plan.notes,
        alternative_of=plan,
        created_by=user,
        updated_by=user,
    )
    _save_with_history(copy, user)
    for course in plan.courses.all():
        copied = Course(
            plan=copy,
            position=course.position,
            treatment=course.treatment,
            sessions=course.sessions,
            interval_count=course.interval_count,
            interval_unit=course.interval_unit,
            first_session=course.first_session,
            exosome_source=course.exosome_source,
            product=course.product,
            lot=course.lot,
        )
        _save_with_history(copied, user)
    return copy
