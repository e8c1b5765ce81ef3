"""Writes that touch several rows: each one function, one transaction, keyword-only."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.models import TreatmentKind
from planner import patient_search, workflow
from planner.models import (
    Course,
    LotReach,
    Patient,
    Plan,
    PlanStatus,
    RecallContact,
    quote_columns,
)
from planner.planning import (
    CourseDraft,
    drafts_of,
    gaps_text,
    quote_from_estimate,
    shown_fingerprint,
)
from planner.selectors import plan_outlook_for
from planner.signing.selectors import TAKES_DEPOSITS, missing_consents, required_consents
from planner.workflow import (  # noqa: F401  the guardrails' messages, as tests and views know them
    DUE_DILIGENCE_UNACKNOWLEDGED,
    INVESTIGATIONAL_PRODUCT_MISSING,
    INVESTIGATIONAL_RECORD_MISSING,
    LOT_CANNOT_BE_USED,
    NO_COURSES,
)


class PlanActionError(Exception):
    """A rule refused the action; the message is meant for staff, as it is."""


class StaleEditError(PlanActionError):
    """Someone saved the record since the editor read it. Carries the version saved now, so
    the editor can keep the user's input and let their next save knowingly replace it."""

    def __init__(self, message: str, *, current_version: int | None):
        super().__init__(message)
        self.current_version = current_version


STALE_EDIT = (
    "Someone else changed this plan while you were editing it. Your changes are still in "
    "the form below; compare them with the saved plan before saving again."
)
NOT_EDITABLE = "Only a draft plan can be edited. Reprice it (back to draft) first."
TRANSITION_NOT_ALLOWED = "A {current} plan cannot be marked {target}."
STALE_SIGN_OFF = (
    "This plan changed after the page you signed off on was opened (its courses, products, "
    "lots or open questions). Nothing was recorded: read the plan as it is now and sign off "
    "again."
)
SIGN_OFF_CLOSED = "Nothing was recorded: a {status} plan takes no new sign-off."
ONLY_DRAFTS_DELETED = "Only a draft can be deleted; this plan is {status}. Cancel it instead."
DRAFT_SUMMARY_ON_RECORD = (
    "This draft's patient summary has been opened, and that stays on record: cancel the plan "
    "instead of deleting it."
)
CONSENTS_NOT_SIGNED = (
    "The patient has not signed every consent this plan needs ({titles}). Share the plan "
    "for signing (a link, or this device in kiosk mode): signing accepts it."
)
NO_INVESTIGATIONAL_CONSENT = (
    "No active consent document covers the investigational (injectable) treatment in this "
    "plan, so the patient cannot sign one. A clinic admin must publish it in the admin first."
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
    changes = {"version": F("version") + 1}
    if isinstance(record, Plan):
        # A new version closes every signing link to the plan (ShareLink.state "changed").
        changes["link_expires_at"] = None
    if not rows.update(**changes):
        current = type(record).objects.filter(pk=record.pk).values_list("version", flat=True)
        raise StaleEditError(stale_message, current_version=current.first())
    record.version = expected_version + 1
    if isinstance(record, Plan):
        record.link_expires_at = None


STALE_PATIENT = (
    "Someone else changed this patient's record while you were editing it. Nothing was "
    "saved: your changes are still in the form; compare them with the record as it is now "
    "(open it in another tab) and save again."
)
PATIENT_FIELDS = ("full_name", "date_of_birth", "phone", "email", "notes", "archived")


def set_search_keys(patient: Patient) -> None:
    """The normalised copies a search and the duplicate check read (planner/patient_search)."""
    keys = patient_search.search_keys(
        full_name=patient.full_name, phone=patient.phone, email=patient.email
    )
    for name, value in keys.items():
        setattr(patient, name, value)


@transaction.atomic
def patient_save(
    *, patient: Patient | None, changes: dict, user, expected_version: int | None = None
) -> Patient:
    """Create a patient, or update one as of the version the editor's page was read at."""
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not patient fields: {sorted(unknown)}")
    renamed = False
    if patient is None:
        patient = Patient(created_by=user)
    else:
        _claim_version(patient, expected_version, stale_message=STALE_PATIENT)
        renamed = "full_name" in changes and changes["full_name"] != patient.full_name
    for name, value in changes.items():
        setattr(patient, name, value)
    set_search_keys(patient)
    patient.updated_by = user
    patient.full_clean(exclude=["created_by", "updated_by"])
    _save_with_history(patient, user)
    if renamed:
        # The lot pages list a lot's patients by this copy of the name.
        LotReach.objects.filter(patient=patient).update(patient_name=patient.full_name)
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
    # Imported here: planner.delivery and planner.signing build on this module (and import it).
    from planner.delivery import actions as delivery
    from planner.signing.actions import deposit_balance_settle

    if not workflow.can_transition(plan.status, to_status):
        raise PlanActionError(
            TRANSITION_NOT_ALLOWED.format(
                current=plan.get_status_display().lower(),
                target=PlanStatus(to_status).label.lower(),
            )
        )
    outlook = plan_outlook_for(plan=plan, today=timezone.localdate())
    refusal = workflow.transition_refusal(plan=plan, to_status=to_status, outlook=outlook)
    if refusal:
        raise PlanActionError(refusal)
    if to_status == PlanStatus.ACCEPTED:
        if plan.has_investigational_course and not any(
            TreatmentKind.INJECTABLE in d.treatment_kinds for d in required_consents(plan=plan)
        ):
            # The patient's own acknowledgement is a signed consent: never accepted without.
            raise PlanActionError(NO_INVESTIGATIONAL_CONSENT)
        missing = missing_consents(plan=plan)
        if missing:
            raise PlanActionError(
                CONSENTS_NOT_SIGNED.format(titles="; ".join(d.title for d in missing))
            )
    if to_status in workflow.NEEDS_INVESTIGATIONAL_RECORD:
        # A quarantined or recalled lot cannot be planned for a session.
        delivery.check_plannable_lots(c.lot for c in plan.courses.all())
    _claim_version(plan, expected_version, status=plan.status)

    if to_status in workflow.FROZEN_STATUSES and plan.quote is None:
        # No quote yet, so the outlook's estimate is today's: the figures the patient sees.
        plan.quote = quote_from_estimate(outlook.estimate)
        plan.quoted_at = timezone.now()
    elif to_status == PlanStatus.DRAFT:
        plan.quote = None
        plan.quoted_at = None
        plan.decided_at = None
    for name, value in quote_columns(plan.quote).items():
        setattr(plan, name, value)
    if to_status in (PlanStatus.ACCEPTED, PlanStatus.DECLINED):
        plan.decided_at = timezone.now()
    took_deposits = plan.status in TAKES_DEPOSITS
    plan.status = to_status
    plan.updated_by = user
    _save_with_history(plan, user)
    if to_status == PlanStatus.ACCEPTED:
        delivery.plan_sessions_materialise(plan=plan, user=user)
    elif to_status == PlanStatus.CANCELLED:
        delivery.sessions_cancel_open(plan=plan, user=user, note="Plan cancelled.")
    if took_deposits:
        deposit_balance_settle(plan=plan)  # cancelled: nothing is owed any more
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
    user,
    expected_version: int | None,
    expected_fingerprint: str,
) -> Plan:
    """A clinician records the IND/trial reference of the plan exactly as shown to them
    (version and fingerprint checked). The patient's acknowledgement is their signature on
    the investigational consent (planner.signing.actions.plan_sign)."""
    _check_sign_off(
        plan, expected_version=expected_version, expected_fingerprint=expected_fingerprint
    )
    plan.investigational_reference = reference.strip()
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


@transaction.atomic
def plan_delete_draft(*, plan: Plan, user, expected_version: int) -> None:
    """Delete an abandoned draft (an "option B" nobody wants) and its courses; its history
    keeps the deletion and who made it. Who may (the author or a clinician) is the view's
    check. A plan past draft was shown to the patient, and a draft whose summary was opened
    is in the access log: both are cancelled instead, never deleted."""
    if plan.status != PlanStatus.DRAFT:
        raise PlanActionError(ONLY_DRAFTS_DELETED.format(status=plan.get_status_display().lower()))
    if plan.summary_accesses.exists():
        raise PlanActionError(DRAFT_SUMMARY_ON_RECORD)
    _claim_version(plan, expected_version, status=PlanStatus.DRAFT)
    plan._history_user = user
    for course in plan.courses.all():
        course._history_user = user
    plan.delete()


SAME_PATIENT = "A patient cannot be merged into itself."
ALREADY_MERGED = "{name} was already merged into another record."
STALE_MERGE = (
    "One of the two records changed after this page was opened. Nothing was merged: compare "
    "them again as they are now."
)
MERGE_FILLS = ("date_of_birth", "phone", "email")


@transaction.atomic
def patient_merge(
    *,
    keep: Patient,
    merge: Patient,
    user,
    expected_keep_version: int,
    expected_merge_version: int,
) -> Patient:
    """Merge the duplicate record `merge` into `keep`: its plans move to `keep`, `keep`
    takes any detail it lacks (date of birth, phone, email), and `merge` stays, archived and
    pointing at `keep`, so its history still reads. Both histories record the merge and who
    made it; both versions are checked, so a record edited meanwhile is not merged."""
    if keep.pk == merge.pk:
        raise PlanActionError(SAME_PATIENT)
    for record in (keep, merge):
        if record.merged_into_id:
            raise PlanActionError(ALREADY_MERGED.format(name=record.full_name))
    # Imported here: planner.delivery builds on this module (and imports it).
    from planner.delivery.actions import lot_reach_refresh

    _claim_version(keep, expected_keep_version, stale_message=STALE_MERGE)
    _claim_version(merge, expected_merge_version, stale_message=STALE_MERGE)
    # Locked as read: a link created meanwhile would otherwise lose its expiry to this save.
    for plan in Plan.objects.select_for_update().filter(patient=merge):
        plan.patient = keep
        plan.updated_by = user
        plan._change_reason = f"moved from patient #{merge.pk} (merged into #{keep.pk})"
        _save_with_history(plan, user)
    _move_recall_contacts(keep=keep, merge=merge, user=user)
    # The duplicate's sessions are the kept record's now, on the lot pages too.
    lot_reach_refresh(patient_ids=[keep.pk, merge.pk])
    for name in MERGE_FILLS:
        if not getattr(keep, name) and getattr(merge, name):
            setattr(keep, name, getattr(merge, name))
    set_search_keys(keep)
    keep.updated_by = user
    keep._change_reason = f"merged patient #{merge.pk} ({merge.full_name}) into this record"
    keep.full_clean(exclude=["created_by", "updated_by"])
    _save_with_history(keep, user)
    merge.merged_into = keep
    merge.archived = True
    merge.updated_by = user
    merge._change_reason = f"merged into patient #{keep.pk} ({keep.full_name})"
    _save_with_history(merge, user)
    return keep


def _move_recall_contacts(*, keep: Patient, merge: Patient, user) -> None:
    """The duplicate's "contacted about a recalled lot" ticks follow its plans (their sessions
    now list the kept record on the lot's page). Where both records were ticked for the same
    lot, the kept record's tick already says so; the duplicate's stays with it, as history."""
    already = set(RecallContact.objects.filter(patient=keep).values_list("lot_id", flat=True))
    for contact in RecallContact.objects.filter(patient=merge).exclude(lot_id__in=already):
        contact.patient = keep
        contact._change_reason = f"moved from patient #{merge.pk} (merged into #{keep.pk})"
        _save_with_history(contact, user)
