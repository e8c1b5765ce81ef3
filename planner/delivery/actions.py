"""Writes for session records: each one function, one transaction, keyword-only, refused when
the page it came from is stale (the course's session records changed since: see
selectors.course_state). The plan's status follows the records (plan_sync_status)."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clinic.formatting import format_date
from clinic.lots.rules import NOT_PLANNABLE, point_of_use_problems
from clinic.models import ProductLot
from planner.actions import PlanActionError, _claim_version, _save_with_history
from planner.delivery import reflow
from planner.delivery.models import (
    AdverseEvent,
    LotReach,
    LotUse,
    RecallContact,
    SessionStatus,
    TreatmentSession,
)
from planner.delivery.reflow import Move
from planner.delivery.selectors import (
    course_sessions,
    course_state,
    interval_of,
    slots_of,
)
from planner.models import Patient, Plan, PlanStatus
from planner.planning import course_input, drafts_of
from planner.scheduling import build_schedule
from planner.signing.actions import deposit_balance_settle


class SessionActionError(PlanActionError):
    """A rule refused the write; the message is for staff, as it is."""


class LotRefused(SessionActionError):
    """The lot failed its point-of-use check; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(LOT_REFUSED + " " + " ".join(problems))


STALE_SESSIONS = (
    "Someone else changed this course's sessions while you were looking at them. Nothing was "
    "saved: read the sessions as they are now and try again."
)
NOT_OPEN = "Session {number} is already {status}: only a planned session can be changed."
PERFORMER_NOT_CLINICIAN = "A session is performed by a clinician: choose one as the performer."
LOT_REQUIRED = "This course uses {product}: name the lot actually used."
LOT_WRONG_PRODUCT = "Lot {lot} is not a lot of {product}, the course's product."
LOT_REFUSED = "The lot cannot be used on this date:"
PERFORMED_IN_FUTURE = "A session cannot be recorded as performed on a day still to come."
NO_SESSIONS_STATUS = (
    "Sessions are recorded only for a plan the patient accepted (this one is {status})."
)
REASON_NEEDED = "Give the reason: the plan still has sessions that are not done."
NOT_UNDER_WAY = "Only an accepted or in-progress plan can be completed."
NOT_PERFORMED = "An adverse event is recorded against a performed session."
MEDWATCH_REFERENCE = "Give the MedWatch reference of the report."
NO_SHOW_BEFORE_THE_DAY = (
    "Session {number} is planned for {day}: a patient can only miss it on or after that day. "
    "Cancel it or reschedule it instead."
)
NOTICED_OUTSIDE = (
    "An adverse event is noticed on or after the session ({performed}) and not later than "
    "today ({today})."
)
ALREADY_CONTACTED = "{patient} was already marked contacted about this lot by {who} on {when}."
LOT_NOT_PLANNABLE = "Lot {lot} is {status}: it cannot be planned for a session."

KEEP_TIME = object()  # session_reschedule: leave the planned time as it is
SESSION_STATUSES = (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)


# Materialising ------------------------------------------------------------------------------


def plan_sessions_materialise(*, plan: Plan, user) -> list[TreatmentSession]:
    """One record per session the engine lays out for the plan (course, number, date, the
    course's lot as the planned lot). Called when a plan is accepted, whichever path accepts
    it; a plan that already has records keeps them. Runs in the caller's transaction."""
    if plan.status not in SESSION_STATUSES:
        raise SessionActionError(
            NO_SESSIONS_STATUS.format(status=plan.get_status_display().lower())
        )
    if TreatmentSession.objects.filter(plan=plan).exists():
        return []
    # drafts_of keys each course by its place in plan.courses.all(), as listed here.
    by_key = {str(index): c for index, c in enumerate(plan.courses.all())}
    schedule = build_schedule([course_input(d) for d in drafts_of(plan)])
    created = []
    for scheduled in schedule.sessions:
        course = by_key[scheduled.course_key]
        record = TreatmentSession(
            plan=plan,
            course=course,
            number=scheduled.number,
            planned_date=scheduled.session_date,
            planned_lot=course.lot,
            needs_lot=course.product_id is not None,
            updated_by=user,
        )
        record.full_clean(exclude=["plan", "course", "planned_lot", "updated_by"])
        _save_with_history(record, user)
        created.append(record)
    if any(record.planned_lot_id for record in created):
        lot_reach_refresh(patient_ids=[plan.patient_id])
    return created


# Who each lot reached ------------------------------------------------------------------------


def lot_reach_refresh(*, patient_ids: Iterable[int]) -> None:
    """Recount, for these patients, the sessions that used each lot (performed) or still plan
    it, into LotReach (a row per lot and patient, none at zero) and LotUse (each lot's
    totals, moved by the difference). Call after any write that changes a session's status,
    its lot or its plan's patient, in the caller's transaction: the patients' rows are
    locked first, so two writers for one patient recount one after the other."""
    patient_ids = sorted(set(patient_ids))
    names = dict(
        Patient.objects.select_for_update()
        .filter(pk__in=patient_ids)
        .order_by("pk")
        .values_list("pk", "full_name")
    )
    want: dict[tuple[int, int], tuple[int, int]] = {}
    for patient_id, status, used, planned in (
        TreatmentSession.objects.filter(plan__patient__in=patient_ids)
        .filter(
            Q(status=SessionStatus.PERFORMED, lot_used__isnull=False)
            | Q(status=SessionStatus.PLANNED, planned_lot__isnull=False)
        )
        .values_list("plan__patient", "status", "lot_used", "planned_lot")
    ):
        performed = status == SessionStatus.PERFORMED
        key = (used if performed else planned, patient_id)
        done, ahead = want.get(key, (0, 0))
        want[key] = (done + 1, ahead) if performed else (done, ahead + 1)
    have = {(r.lot_id, r.patient_id): r for r in LotReach.objects.filter(patient__in=patient_ids)}
    gone, changed, added = [], [], []
    totals: dict[int, list[int]] = {}  # lot: [patients, performed, planned], as differences
    for key in want.keys() | have.keys():
        lot_id, patient_id = key
        row = have.get(key)
        old = (row.performed, row.planned) if row else (0, 0)
        new = want.get(key, (0, 0))
        if new == old and (row is None or row.patient_name == names[patient_id]):
            continue
        total = totals.setdefault(lot_id, [0, 0, 0])
        total[0] += (new != (0, 0)) - (old != (0, 0))
        total[1] += new[0] - old[0]
        total[2] += new[1] - old[1]
        if new == (0, 0):
            gone.append(row.pk)
        elif row is None:
            added.append(
                LotReach(
                    lot_id=lot_id,
                    patient_id=patient_id,
                    patient_name=names[patient_id],
                    performed=new[0],
                    planned=new[1],
                )
            )
        else:
            row.performed, row.planned, row.patient_name = *new, names[patient_id]
            changed.append(row)
    if gone:
        LotReach.objects.filter(pk__in=gone).delete()
    if changed:
        LotReach.objects.bulk_update(changed, ["performed", "planned", "patient_name"])
    if added:
        LotReach.objects.bulk_create(added)
    totals = {lot: total for lot, total in totals.items() if any(total)}
    if totals:
        LotUse.objects.bulk_create([LotUse(lot_id=lot) for lot in totals], ignore_conflicts=True)
    for lot_id, (patients, performed, planned) in totals.items():
        LotUse.objects.filter(lot_id=lot_id).update(
            patients=F("patients") + patients,
            performed=F("performed") + performed,
            planned=F("planned") + planned,
        )


# The plan follows its records ------------------------------------------------------------------


def plan_sync_status(*, plan: Plan, user) -> Plan:
    """Accepted → in progress at the first performed session; → completed when no session is
    still planned. Runs in the caller's transaction."""
    statuses = set(TreatmentSession.objects.filter(plan=plan).values_list("status", flat=True))
    target = plan.status
    if plan.status == PlanStatus.ACCEPTED and SessionStatus.PERFORMED in statuses:
        target = PlanStatus.IN_PROGRESS
    if (
        plan.status in (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS)
        and statuses
        and SessionStatus.PLANNED not in statuses
    ):
        target = PlanStatus.COMPLETED
    if target != plan.status:
        Plan.objects.filter(pk=plan.pk).update(version=F("version") + 1)
        plan.refresh_from_db(fields=["version"])
        plan.status = target
        plan.updated_by = user
        _save_with_history(plan, user)
        if target == PlanStatus.COMPLETED:
            deposit_balance_settle(plan=plan)  # a finished plan takes no deposit
    return plan


# Session writes ---------------------------------------------------------------------------------


def _claim_course(session: TreatmentSession, expected_state: str) -> list[TreatmentSession]:
    """The course's records as they are now, provided they are as the page showed them."""
    rows = course_sessions(course_id=session.course_id)
    if course_state(rows) != expected_state:
        raise SessionActionError(STALE_SESSIONS)
    return rows


def _write(record: TreatmentSession, user, *, moved: bool = False) -> None:
    """Save one record, bumping its version (a conditional UPDATE: of two writers one wins)."""
    if not TreatmentSession.objects.filter(pk=record.pk, version=record.version).update(
        version=F("version") + 1
    ):
        raise SessionActionError(STALE_SESSIONS)
    record.version += 1
    if moved:
        record.sequence += 1
    record.updated_by = user
    _save_with_history(record, user)


def _apply_moves(rows: list[TreatmentSession], moves: Iterable[Move], user) -> None:
    by_number = {r.number: r for r in rows}
    for move in moves:
        record = by_number[move.number]
        record.planned_date = move.new_date
        _write(record, user, moved=True)


def _open(record: TreatmentSession) -> None:
    if not record.is_open:
        raise SessionActionError(
            NOT_OPEN.format(number=record.number, status=record.get_status_display().lower())
        )


def _find(rows, session) -> TreatmentSession:
    return next(r for r in rows if r.pk == session.pk)


@transaction.atomic
def session_perform(
    *,
    session: TreatmentSession,
    performed_on: date,
    performer,
    lot: ProductLot | None,
    notes: str = "",
    override_reason: str = "",
    keep_fixed: Iterable[int] = (),
    user,
    expected_state: str,
) -> tuple[Move, ...]:
    """Record a session as performed, checking the lot on the day of use; a performance
    later than planned re-flows the course's later open sessions. Returns what moved."""
    rows = _claim_course(session, expected_state)
    record = _find(rows, session)
    _open(record)
    if performed_on > timezone.localdate():
        raise SessionActionError(PERFORMED_IN_FUTURE)
    if performer is None or not performer.has_perm("planner.perform_session"):
        raise SessionActionError(PERFORMER_NOT_CLINICIAN)
    course = record.course
    override_reason = override_reason.strip()
    problems: list[str] = []
    if record.needs_lot:
        if lot is None:
            raise SessionActionError(LOT_REQUIRED.format(product=course.product.name))
        if lot.product_id != course.product_id:
            raise SessionActionError(
                LOT_WRONG_PRODUCT.format(lot=lot.lot_number, product=course.product.name)
            )
        problems = point_of_use_problems(
            lot, lot.product, lot.storage_checks.all(), on=performed_on
        )
        if problems and not override_reason:
            raise LotRefused(problems)
    moves = reflow.after_performance(
        slots_of(rows),
        interval_of(record),
        number=record.number,
        performed_on=performed_on,
        keep_fixed=set(keep_fixed),
    )
    record.status = SessionStatus.PERFORMED
    record.performed_on = performed_on
    record.performed_by = performer
    record.lot_used = lot if record.needs_lot else None
    record.notes = notes.strip()
    record.lot_override_problems = "\n".join(problems)
    record.lot_override_reason = override_reason if problems else ""
    _write(record, user)
    _apply_moves(rows, moves, user)
    if record.planned_lot_id or record.lot_used_id:
        lot_reach_refresh(patient_ids=[record.plan.patient_id])
    plan_sync_status(plan=record.plan, user=user)
    return moves


@transaction.atomic
def session_reschedule(
    *,
    session: TreatmentSession,
    new_date: date,
    new_time=KEEP_TIME,
    keep_fixed: Iterable[int] = (),
    user,
    expected_state: str,
) -> tuple[Move, ...]:
    """Move a planned session (and set its time of day, None for none) and re-flow the later
    open ones (except those kept fixed)."""
    rows = _claim_course(session, expected_state)
    record = _find(rows, session)
    _open(record)
    moves = reflow.reschedule(
        slots_of(rows),
        interval_of(record),
        number=record.number,
        new_date=new_date,
        keep_fixed=set(keep_fixed),
    )
    time_changed = new_time is not KEEP_TIME and new_time != record.planned_time
    if time_changed:
        record.planned_time = new_time
    _apply_moves(rows, moves, user)
    if time_changed and record.number not in {m.number for m in moves}:
        _write(record, user, moved=True)
    return moves


@transaction.atomic
def session_close(
    *, session: TreatmentSession, status: str, user, expected_state: str, note: str = ""
) -> TreatmentSession:
    """Mark a planned session a no-show or cancelled."""
    if status not in (SessionStatus.NO_SHOW, SessionStatus.CANCELLED):
        raise ValueError(f"not a closing status: {status}")
    rows = _claim_course(session, expected_state)
    record = _find(rows, session)
    _open(record)
    if status == SessionStatus.NO_SHOW and record.planned_date > timezone.localdate():
        raise SessionActionError(
            NO_SHOW_BEFORE_THE_DAY.format(
                number=record.number, day=format_date(record.planned_date)
            )
        )
    record.status = status
    if note:
        record.notes = note
    _write(record, user, moved=status == SessionStatus.CANCELLED)
    if record.planned_lot_id:
        lot_reach_refresh(patient_ids=[record.plan.patient_id])
    plan_sync_status(plan=record.plan, user=user)
    return record


def sessions_cancel_open(*, plan: Plan, user, note: str = "") -> int:
    """Cancel every still-planned session of a plan (the plan was cancelled or completed by
    hand), so the patient's calendar drops them. Runs in the caller's transaction."""
    count, lots = 0, False
    for record in TreatmentSession.objects.filter(plan=plan, status=SessionStatus.PLANNED):
        record.status = SessionStatus.CANCELLED
        if note:
            record.notes = note
        _write(record, user, moved=True)
        count += 1
        lots = lots or record.planned_lot_id is not None
    if lots:
        lot_reach_refresh(patient_ids=[plan.patient_id])
    return count


@transaction.atomic
def plan_complete(*, plan: Plan, reason: str, user, expected_version: int | None) -> Plan:
    """Complete a plan by hand. With sessions still planned, only with a reason: they are
    cancelled, each carrying the reason."""
    if plan.status not in (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS):
        raise SessionActionError(NOT_UNDER_WAY)
    open_left = TreatmentSession.objects.filter(plan=plan, status=SessionStatus.PLANNED).exists()
    reason = reason.strip()
    if open_left and not reason:
        raise SessionActionError(REASON_NEEDED)
    _claim_version(plan, expected_version, status=plan.status)
    sessions_cancel_open(plan=plan, user=user, note=f"Plan completed early: {reason}")
    plan.status = PlanStatus.COMPLETED
    plan.updated_by = user
    _save_with_history(plan, user)
    deposit_balance_settle(plan=plan)  # a finished plan takes no deposit
    return plan


# Adverse events and recall ----------------------------------------------------------------------


@transaction.atomic
def adverse_event_record(
    *,
    session: TreatmentSession,
    noticed_on: date,
    description: str,
    severity: str,
    action_taken: str,
    reported_to_medwatch: bool,
    medwatch_reference: str,
    user,
    expected_state: str,
) -> AdverseEvent:
    """Record an adverse event after a performed session (as that session was shown)."""
    rows = _claim_course(session, expected_state)
    record = _find(rows, session)
    if record.status != SessionStatus.PERFORMED:
        raise SessionActionError(NOT_PERFORMED)
    today = timezone.localdate()
    if not record.performed_on <= noticed_on <= today:
        raise SessionActionError(
            NOTICED_OUTSIDE.format(
                performed=format_date(record.performed_on), today=format_date(today)
            )
        )
    if reported_to_medwatch and not medwatch_reference.strip():
        raise SessionActionError(MEDWATCH_REFERENCE)
    event = AdverseEvent(
        session=record,
        noticed_on=noticed_on,
        description=description.strip(),
        severity=severity,
        action_taken=action_taken.strip(),
        reported_to_medwatch=reported_to_medwatch,
        medwatch_reference=medwatch_reference.strip(),
        recorded_by=user,
    )
    event.full_clean(exclude=["session", "recorded_by"])
    _save_with_history(event, user)
    _write(record, user)  # the session's page changed: a form from before it is stale
    return event


@transaction.atomic
def recall_contact_tick(*, lot: ProductLot, patient: Patient, user) -> RecallContact:
    """Tick a patient contacted about a lot; a second tick (another user's, or a page from
    before the first) is refused, naming who ticked first."""
    existing = RecallContact.objects.select_related("contacted_by").filter(lot=lot, patient=patient)
    first = existing.first()
    if first is not None:
        raise SessionActionError(
            ALREADY_CONTACTED.format(
                patient=patient.full_name,
                who=first.contacted_by.get_full_name() or first.contacted_by.username,
                when=format_date(timezone.localtime(first.contacted_at).date()),
            )
        )
    contact = RecallContact(lot=lot, patient=patient, contacted_by=user)
    _save_with_history(contact, user)
    return contact


def check_plannable_lots(lots: Iterable[ProductLot | None]) -> None:
    """Refuse a quarantined, recalled, expired or discarded lot for a planned session."""
    for lot in lots:
        if lot is not None and lot.status in NOT_PLANNABLE:
            raise SessionActionError(
                LOT_NOT_PLANNABLE.format(
                    lot=lot.lot_number, status=lot.get_status_display().lower()
                )
            )
