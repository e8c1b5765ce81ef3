"""Reads for session records, the day list, the lot (recall) page and a patient's lots.
Reads only: nothing here writes. Each costs a fixed number of queries, whatever the number of
sessions or uses of a lot."""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import ExpressionWrapper, F, FilteredRelation, IntegerField, Prefetch, Q
from django.shortcuts import get_object_or_404

from clinic.formatting import format_celsius, format_date
from clinic.lots.rules import NOT_PLANNABLE
from clinic.models import LotStatus, LotStatusChange, ProductLot, StorageCheck
from planner.calendar import RecordedSession
from planner.delivery.models import (
    AdverseEvent,
    LotReach,
    LotUse,
    RecallContact,
    SessionStatus,
    TreatmentSession,
)
from planner.delivery.reflow import Move, SessionSlot, after_performance, reschedule
from planner.models import Patient, Plan, PlanStatus
from planner.pagination import WindowPage, window_page
from planner.planning import CourseDraft, course_input
from planner.prepared import Param, Prepared
from planner.scheduling import Interval, build_dated_schedule
from planner.selectors import courses_by_id
from planner.wording import word_warnings

NEVER_ACCEPTED = frozenset({PlanStatus.DRAFT, PlanStatus.PRESENTED, PlanStatus.DECLINED})
LOT_BLOCKED = (
    "Session {number} of {treatment} on {day} names lot {lot}, which is {status}: it cannot be "
    "used. Choose another lot when the session is performed."
)
LOT_EXPIRES_FIRST = (
    "Session {number} of {treatment} on {day} names lot {lot}, which expires on {expiry}, "
    "before the session."
)


def _session_rows():
    return TreatmentSession.objects.select_related(
        "course__treatment",
        "course__product",
        "planned_lot__product",
        "lot_used__product",
        "performed_by",
    )


def plan_sessions(*, plan: Plan) -> list[TreatmentSession]:
    """The plan's session records in date order, with their adverse events: two queries."""
    return list(
        _session_rows()
        .filter(plan=plan)
        .prefetch_related(
            Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("recorded_by"))
        )
        .order_by("course__position", "number")
    )


def treatment_record(*, plan: Plan) -> list[TreatmentSession]:
    """The plan's session records for the patient summary (HTML and PDF), in course and
    session order, each with its course and lots. No query for a plan that was never
    accepted: records are made when a plan is accepted, and an accepted plan never goes back.
    Otherwise one: the courses come from the plan (prefetched, with the catalog's treatments
    and products), so only the lots are joined."""
    if plan.status in NEVER_ACCEPTED:
        return []
    courses = {course.pk: (index, course) for index, course in enumerate(plan.courses.all())}
    sessions = list(
        TreatmentSession.objects.filter(plan=plan).select_related(
            "planned_lot__product", "lot_used__product"
        )
    )
    for s in sessions:
        s.course = courses[s.course_id][1]
    return sorted(sessions, key=lambda s: (courses[s.course_id][0], s.number))


def course_sessions(*, course_id: int) -> list[TreatmentSession]:
    return list(
        _session_rows()
        .filter(course_id=course_id)
        .prefetch_related("lot_used__storage_checks")
        .order_by("number")
    )


def get_session(pk: int) -> TreatmentSession:
    return get_object_or_404(
        _session_rows().select_related("plan__patient").prefetch_related("adverse_events"),
        pk=pk,
    )


def course_state(sessions: Iterable[TreatmentSession]) -> str:
    """A digest of a course's session records as a page showed them: any session written
    since (performed, moved, cancelled) changes it, so a form from that page is refused."""
    parts = sorted(f"{s.pk}:{s.version}" for s in sessions)
    return hashlib.sha256(",".join(parts).encode()).hexdigest()[:32]


def slots_of(sessions: Iterable[TreatmentSession]) -> list[SessionSlot]:
    return [SessionSlot(s.number, s.planned_date, s.is_open) for s in sessions]


def interval_of(session: TreatmentSession) -> Interval:
    return Interval(session.course.interval_count, session.course.interval_unit)


@dataclass(frozen=True)
class Preview:
    moves: tuple[Move, ...]
    warnings: tuple[str, ...]


def _course_draft(course) -> CourseDraft:
    return CourseDraft(
        key=str(course.pk),
        treatment=course.treatment,
        sessions=course.sessions,
        interval_count=course.interval_count,
        interval_unit=course.interval_unit,
        first_session=course.first_session,
    )


def session_warnings(
    *,
    plan: Plan,
    sessions: list[TreatmentSession],
    today: date,
    dates: Mapping[int, date] | None = None,
) -> tuple[str, ...]:
    """Every check on the sessions' dates (`dates` overrides some by session pk): sessions
    inside another's downtime, too close, the ready-by date, and planned lots that expire
    first or may not be used. Cancelled and no-show sessions are left out. No query."""
    dates = dates or {}
    live = [s for s in sessions if s.status in (SessionStatus.PLANNED, SessionStatus.PERFORMED)]
    courses = {s.course_id: s.course for s in live}
    drafts = [_course_draft(c) for c in sorted(courses.values(), key=lambda c: c.position)]
    on = {(str(s.course_id), s.number): dates.get(s.pk, s.treatment_date) for s in live}
    investigational = {d.key for d in drafts if d.treatment.is_investigational}
    schedule = build_dated_schedule([course_input(d) for d in drafts], on, ready_by=plan.ready_by)
    messages = [
        w.message
        for w in word_warnings(schedule.warnings, today=today, investigational_keys=investigational)
    ]
    for s in live:
        lot = s.planned_lot
        if not s.is_open or lot is None:
            continue
        day = dates.get(s.pk, s.planned_date)
        facts = {
            "number": s.number,
            "treatment": s.course.treatment.name,
            "day": format_date(day),
            "lot": lot.lot_number,
        }
        if lot.status in NOT_PLANNABLE:
            messages.append(LOT_BLOCKED.format(**facts, status=LotStatus(lot.status).label.lower()))
        elif lot.expires_on < day:
            messages.append(LOT_EXPIRES_FIRST.format(**facts, expiry=format_date(lot.expires_on)))
    return tuple(messages)


def blocking_lot_sessions(sessions: Iterable[TreatmentSession]) -> list[TreatmentSession]:
    """Open sessions whose planned lot may not be used (recalled, quarantined...)."""
    return [
        s
        for s in sessions
        if s.is_open and s.planned_lot is not None and s.planned_lot.status in NOT_PLANNABLE
    ]


def reschedule_preview(
    *,
    plan: Plan,
    sessions: list[TreatmentSession],
    session: TreatmentSession,
    new_date: date,
    keep_fixed: Iterable[int],
    today: date,
) -> Preview:
    """What moves (old → new) if `session` goes to `new_date`, and the checks on the result."""
    course = [s for s in sessions if s.course_id == session.course_id]
    moves = reschedule(
        slots_of(course),
        interval_of(session),
        number=session.number,
        new_date=new_date,
        keep_fixed=set(keep_fixed),
    )
    return Preview(moves, _checked(plan, sessions, course, moves, today))


def performance_preview(
    *,
    plan: Plan,
    sessions: list[TreatmentSession],
    session: TreatmentSession,
    performed_on: date,
    keep_fixed: Iterable[int],
    today: date,
) -> Preview:
    course = [s for s in sessions if s.course_id == session.course_id]
    moves = after_performance(
        slots_of(course),
        interval_of(session),
        number=session.number,
        performed_on=performed_on,
        keep_fixed=set(keep_fixed),
    )
    return Preview(moves, _checked(plan, sessions, course, moves, today))


def _checked(plan, sessions, course, moves, today) -> tuple[str, ...]:
    by_number = {s.number: s for s in course}
    dates = {by_number[m.number].pk: m.new_date for m in moves}
    return session_warnings(plan=plan, sessions=sessions, today=today, dates=dates)


def sessions_on(*, day: date) -> list[TreatmentSession]:
    """The day list: every session planned on `day`, each carrying its course's state for
    the forms. Two queries, whatever the number of sessions."""
    sessions = list(
        _session_rows()
        .select_related("plan__patient")
        .filter(planned_date=day)
        .order_by("planned_time", "plan__patient__full_name", "id")
    )
    versions: dict[int, list] = {}
    for course_id, pk, version in TreatmentSession.objects.filter(
        course_id__in={s.course_id for s in sessions}
    ).values_list("course_id", "pk", "version"):
        versions.setdefault(course_id, []).append(_Versioned(pk, version))
    for s in sessions:
        s.course_state = course_state(versions.get(s.course_id, []))
    return sessions


@dataclass(frozen=True)
class _Versioned:
    pk: int
    version: int


@dataclass(frozen=True)
class LotRecall:
    lot: ProductLot
    performed: list[TreatmentSession]
    planned: list[TreatmentSession]
    # Everyone the lot reached or is planned for, once each, with their contact tick.
    patients: list[tuple[Patient, RecallContact | None]]
    changes: list[LotStatusChange]


def lot_for_page(pk: int) -> ProductLot:
    return get_object_or_404(
        ProductLot.objects.select_related("product").prefetch_related("storage_checks"), pk=pk
    )


@dataclass(frozen=True)
class Reading:
    """A storage reading as the lot page shows it and the point-of-use rules read it."""

    checked_on: date
    temperature_celsius: Decimal
    notes: str

    def __str__(self):  # as StorageCheck's
        return f"{format_date(self.checked_on)}: {format_celsius(self.temperature_celsius)}"


def lot_with_readings(pk: int) -> tuple[ProductLot, list[Reading]]:
    """The lot page's lot and its storage readings, newest first: two queries, the readings
    as plain values (building a model instance per reading cost more than the query)."""
    lot = get_object_or_404(ProductLot.objects.select_related("product"), pk=pk)
    return lot, [Reading(**row) for row in _LOT_READINGS.bind(lot=lot.pk).all()]


# The lot page's queries, compiled once per process (planner.prepared: building and
# compiling them was most of their time). The lot is a plain number: see _lot_id.
_LOT = ("lot", IntegerField())


def _lot_id(path: str) -> ExpressionWrapper:
    """A foreign key's column as a plain number, so it compares with a placeholder (a
    relation's own lookup converts its value to an id first)."""
    return ExpressionWrapper(F(path), output_field=IntegerField())


_LOT_READINGS = Prepared(
    lambda: (
        StorageCheck.objects.alias(lot_key=_lot_id("lot_id"))
        .filter(lot_key=Param(*_LOT))
        .order_by("-checked_on", "-id")
        .values("checked_on", "temperature_celsius", "notes")
    )
)


def lot_recall(*, lot: ProductLot) -> LotRecall:
    """Everything about who received `lot`, for the recall CSV and letters: four queries,
    whatever the number of uses (the page reads it a screen at a time: lot_recall_page)."""
    rows = _session_rows().select_related("plan__patient").order_by("performed_on", "id")
    performed = list(rows.filter(lot_used=lot, status=SessionStatus.PERFORMED))
    planned = list(
        rows.filter(planned_lot=lot, status=SessionStatus.PLANNED).order_by("planned_date", "id")
    )
    patients: dict[int, Patient] = {}
    for s in performed + planned:
        patients.setdefault(s.plan.patient_id, s.plan.patient)
    contacts = {
        c.patient_id: c
        for c in RecallContact.objects.filter(lot=lot).select_related("contacted_by")
    }
    changes = list(lot.status_changes.select_related("changed_by"))
    return LotRecall(
        lot=lot,
        performed=performed,
        planned=planned,
        patients=[
            (p, contacts.get(p.pk))
            for p in sorted(patients.values(), key=lambda p: (p.full_name, p.pk))
        ],
        changes=changes,
    )


# A screen of each list (the headings say how many there are in all): each row costs about
# 30 µs to render and as much to read, so 20 rows rather than 50 keep the page near the floor.
RECALL_PAGE_SIZE = 20
RECALL_LISTS = ("patients", "performed", "planned")


@dataclass(frozen=True)
class LotRecallPage:
    """The lot page's lists, a screen of each (a chain's lot reaches thousands), with how
    many there are in all. The rows are plain dicts of the columns shown: building model
    instances (a session with its plan, patient, course, treatment and clinician) cost most of
    the page's time."""

    lot: ProductLot
    patients: WindowPage  # of dicts: pk, full_name, phone, email, contacted_at, contacted_by
    performed: WindowPage  # of dicts: see _SESSION_COLUMNS, plus performed_on and by
    planned: WindowPage  # of dicts: see _SESSION_COLUMNS, plus planned_date
    counts: dict[str, int]
    changes: list[LotStatusChange]


_SESSION_COLUMNS = ("pk", "plan_id", "number", "plan__patient__full_name", "course_id")


_LOT_COUNTS = Prepared(
    lambda: (
        LotUse.objects.alias(lot_key=_lot_id("lot_id"))
        .filter(lot_key=Param(*_LOT))
        .values("performed", "planned", "patients")
    )
)
_LOT_PATIENTS = Prepared(
    lambda: (
        LotReach.objects.alias(lot_key=_lot_id("lot_id"))
        .filter(lot_key=Param(*_LOT))
        # At most one tick per lot and patient (a unique constraint): the join adds no rows.
        .annotate(
            contact=FilteredRelation(
                "patient__recall_contacts", condition=Q(patient__recall_contacts__lot=Param(*_LOT))
            )
        )
        .order_by("patient_name", "patient_id")
        .values(
            "patient_id",
            "patient__full_name",
            "patient__phone",
            "patient__email",
            "contact__contacted_at",
            "contact__contacted_by__first_name",
            "contact__contacted_by__last_name",
            "contact__contacted_by__username",
        )
    )
)
_LOT_PERFORMED = Prepared(
    lambda: (
        TreatmentSession.objects.alias(lot_key=_lot_id("lot_used_id"))
        .filter(lot_key=Param(*_LOT), status=SessionStatus.PERFORMED)
        .order_by("performed_on", "id")
        .values(
            *_SESSION_COLUMNS,
            "performed_on",
            "performed_by__first_name",
            "performed_by__last_name",
            "performed_by__username",
        )
    )
)
_LOT_PLANNED = Prepared(
    lambda: (
        TreatmentSession.objects.alias(lot_key=_lot_id("planned_lot_id"))
        .filter(lot_key=Param(*_LOT), status=SessionStatus.PLANNED)
        .order_by("planned_date", "id")
        .values(*_SESSION_COLUMNS, "planned_date")
    )
)


def _recall_person(row: dict) -> dict:
    """A patients-list row as the lot page reads it: pk, full_name, phone, email,
    contacted_at, contacted_by."""
    return {
        "pk": row["patient_id"],
        "full_name": row["patient__full_name"],
        "phone": row["patient__phone"],
        "email": row["patient__email"],
        "contacted_at": row["contact__contacted_at"],
        "contacted_by": _full_name(
            row["contact__contacted_by__first_name"],
            row["contact__contacted_by__last_name"],
            row["contact__contacted_by__username"],
        ),
    }


def _full_name(first: str | None, last: str | None, username: str | None) -> str:
    """What User.get_full_name()|default:username shows, from the columns alone."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


def lot_recall_page(*, lot: ProductLot, pages: Mapping[str, str | None]) -> LotRecallPage:
    """Six queries, whatever the number of uses: the counts, a page of each list (the
    patients' with their contact tick for this lot joined in), the sessions' courses, the
    status changes. `pages`
    maps each of RECALL_LISTS to the page asked for (anything unreadable is page 1).

    The counts and the patients come from LotUse and LotReach (kept by
    actions.lot_reach_refresh): gathered from the sessions, a busy lot's counts and its
    patients in name order cost 50 and 85 ms at 100,000 plans; here one row and one screen
    of an index."""
    counts = _LOT_COUNTS.bind(lot=lot.pk)[0:1]
    counts = counts[0] if counts else dict.fromkeys(("performed", "planned", "patients"), 0)
    people_page = window_page(
        _LOT_PATIENTS.bind(lot=lot.pk), pages.get("patients"), RECALL_PAGE_SIZE
    ).map(_recall_person)
    performed = window_page(
        _LOT_PERFORMED.bind(lot=lot.pk), pages.get("performed"), RECALL_PAGE_SIZE
    )
    planned = window_page(_LOT_PLANNED.bind(lot=lot.pk), pages.get("planned"), RECALL_PAGE_SIZE)
    courses = courses_by_id(s["course_id"] for s in [*performed, *planned])
    for s in [*performed, *planned]:
        s["course__treatment__name"] = courses[s["course_id"]]["treatment__name"]
    for s in performed:
        s["by"] = _full_name(
            s.pop("performed_by__first_name"),
            s.pop("performed_by__last_name"),
            s.pop("performed_by__username"),
        )
    return LotRecallPage(
        lot=lot,
        patients=people_page,
        performed=performed,
        planned=planned,
        counts=counts,
        changes=list(lot.status_changes.select_related("changed_by")),
    )


def patient_lots(*, patient: Patient) -> list[TreatmentSession]:
    """Every performed session of the patient that used a lot, oldest first: one query."""
    return list(patient_lots_query(patient=patient))


def patient_lots_query(*, patient: Patient):
    # "Performed" as "has a performance date" (the same rows: constraints
    # session_performed_has_performer_and_date and session_only_performed_has_date). Asked
    # as status = 'performed', SQLite without statistics walked the reports' (status, day)
    # index through every performed session of the clinic: 365 ms at 100,000 plans, against
    # 2.5 ms through the patient's plans.
    return (
        _session_rows()
        .filter(plan__patient=patient, performed_on__isnull=False, lot_used__isnull=False)
        .order_by("performed_on", "id")
    )


def patient_recall_sessions(*, lot: ProductLot, patient: Patient) -> list[TreatmentSession]:
    """The patient's sessions with `lot`, performed or still planned, for their recall letter."""
    return list(
        _session_rows()
        .filter(plan__patient=patient)
        .filter(
            Q(lot_used=lot, status=SessionStatus.PERFORMED)
            | Q(planned_lot=lot, status=SessionStatus.PLANNED)
        )
        .order_by("planned_date", "id")
    )


@dataclass(frozen=True)
class PlanDelivery:
    """What the plan page's sessions section shows."""

    sessions: list[TreatmentSession]
    warnings: tuple[str, ...]
    blocked: list[TreatmentSession]
    open_count: int


def plan_delivery(*, plan: Plan, today: date) -> PlanDelivery:
    """The plan's session records, each carrying its course's state (for the forms), and the
    checks on their dates: two queries, whatever the number of sessions; none for a plan
    that was never accepted (it has no records)."""
    if plan.status in NEVER_ACCEPTED:
        return PlanDelivery(sessions=[], warnings=(), blocked=[], open_count=0)
    sessions = plan_sessions(plan=plan)
    by_course: dict[int, list[TreatmentSession]] = {}
    for s in sessions:
        by_course.setdefault(s.course_id, []).append(s)
    for rows in by_course.values():
        state = course_state(rows)
        for s in rows:
            s.course_state = state
            # A no-show can be recorded once the session's day has come (actions.session_close).
            s.day_has_come = s.planned_date <= today
    return PlanDelivery(
        sessions=sessions,
        warnings=session_warnings(plan=plan, sessions=sessions, today=today) if sessions else (),
        blocked=blocking_lot_sessions(sessions),
        open_count=sum(1 for s in sessions if s.is_open),
    )


def recorded_sessions(plan: Plan) -> dict:
    """The plan's session records for its calendar, keyed by (course index, number): one
    query (the plan's courses prefetched)."""
    index_of = {course.pk: index for index, course in enumerate(plan.courses.all())}
    return {
        (index_of[s.course_id], s.number): RecordedSession(
            session_date=s.treatment_date,
            cancelled=s.status == SessionStatus.CANCELLED,
            sequence=s.sequence,
        )
        for s in TreatmentSession.objects.filter(plan=plan).only(
            "course_id", "number", "status", "planned_date", "performed_on", "sequence"
        )
        if s.course_id in index_of
    }
