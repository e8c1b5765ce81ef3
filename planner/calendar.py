"""The plan's sessions as an iCalendar file (RFC 5545) the patient can import.

One all-day event per session (no time of day is recorded), with the expected downtime and
the aftercare pointers in its description. No price ever goes into the file: calendars are
shared and synced to places a quote does not belong."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils.text import slugify
from icalendar import Calendar, Event, vText

from clinic.formatting import NOT_DOCUMENTED
from planner.models import PlanStatus
from planner.patient_info import KIND_TEXTS, RESULTS_KEEP_DEVELOPING
from planner.summary import PlanSummary, SessionRow

PRODID = "-//Exosome treatment planner//Patient calendar//EN"
# RFC 5545 STATUS of each event, from the plan's status: a draft or a plan on offer is only
# tentative, an agreed plan confirmed, a plan that will not happen cancelled (so a calendar
# that imported it earlier drops the sessions).
EVENT_STATUS = {
    PlanStatus.DRAFT: "TENTATIVE",
    PlanStatus.PRESENTED: "TENTATIVE",
    PlanStatus.ACCEPTED: "CONFIRMED",
    PlanStatus.IN_PROGRESS: "CONFIRMED",
    PlanStatus.COMPLETED: "CONFIRMED",
    PlanStatus.DECLINED: "CANCELLED",
    PlanStatus.CANCELLED: "CANCELLED",
}


def session_uid(*, plan_pk: int, course_position: int, session_number: int, clinic: str) -> str:
    """Stable across downloads, so importing the file again updates events, not doubles them.

    Named after the clinic, never the host name the app happened to be opened at (which
    differs between an internal address and the public one, and would double the events)."""
    domain = slugify(clinic) or "clinic"
    return (
        f"plan-{plan_pk}-course-{course_position}-session-{session_number}@{domain}.exosome-planner"
    )


def _description(summary: PlanSummary, row: SessionRow, facts_by_name: dict) -> str:
    lines = [f"Session {row.number} of {row.of}: {row.treatment_name}."]
    facts = facts_by_name.get(row.treatment_name)
    if row.downtime_documented:
        # The same words as the summary's table: "Downtime until", then the typical figure.
        typical = f" (typical downtime {facts.downtime.text})" if facts else ""
        lines.append(f"Downtime until {row.downtime_until}{typical}.")
    else:
        lines.append(f"Expected downtime: {NOT_DOCUMENTED}; ask your clinician what to plan for.")
    text = KIND_TEXTS.get(row.kind)
    general = summary.general_aftercare
    if row.investigational:
        general = tuple(line for line in general if line != RESULTS_KEEP_DEVELOPING)
    pointers = (text.aftercare if text else ()) + general
    if pointers:
        lines += ["", "Aftercare:"]
        lines += [f"- {pointer}" for pointer in pointers]
    contact = ", ".join(v for v in (summary.clinic_name, summary.clinic_contact) if v)
    lines += ["", contact]
    return "\n".join(lines)


@dataclass(frozen=True)
class RecordedSession:
    """What the session records say about one planned session: its date now (rescheduled or
    performed), whether it was cancelled, and its RFC 5545 SEQUENCE (bumped on every move)."""

    session_date: date
    cancelled: bool
    sequence: int


def calendar_ics(
    summary: PlanSummary,
    *,
    now: datetime,
    records: Mapping[tuple[int, int], RecordedSession] | None = None,
) -> bytes:
    """`now` must be timezone-aware; DTSTAMP is written in UTC. `records`, keyed by (course
    index, session number), are the session records of an accepted plan: a rescheduled
    session keeps its UID with a higher SEQUENCE, a cancelled one is STATUS:CANCELLED."""
    records = records or {}
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # X- properties are not escaped as text unless typed so, and a name is one line.
    name = " ".join(f"{summary.title} – {summary.clinic_name}".split())
    cal.add("x-wr-calname", vText(name))

    facts_by_name = {f.name: f for k in summary.kinds for f in k.treatments}
    stamp = now.astimezone(UTC)
    for row in summary.sessions:
        record = records.get((row.course_index, row.number))
        session_date = record.session_date if record else row.session_date
        status = EVENT_STATUS.get(summary.plan.status, "TENTATIVE")
        if record and record.cancelled:
            status = "CANCELLED"
        event = Event()
        event.add(
            "uid",
            session_uid(
                plan_pk=summary.plan.pk,
                course_position=row.course_index,
                session_number=row.number,
                clinic=summary.clinic_name,
            ),
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", session_date)
        event.add("dtend", session_date + timedelta(days=1))
        if record:
            event.add("sequence", record.sequence)
        event.add("summary", f"{row.treatment_name} – session {row.number} of {row.of}")
        event.add("description", _description(summary, row, facts_by_name))
        if summary.clinic_address:
            event.add("location", summary.clinic_address)
        event.add("status", status)
        # The patient is busy at a session (and the downtime follows it).
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
