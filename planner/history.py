"""The plan's compact change log: who changed what, and when, from django-simple-history."""

from dataclasses import dataclass
from datetime import datetime

from planner.models import Course, Plan

# Fields whose changes staff care about, with the words to show.
PLAN_FIELDS = {
    "title": "title",
    "status": "status",
    "ready_by": "ready-by date",
    "notes": "notes",
    "indications": "indications",
    "investigational_reference": "IND / trial reference",
    "patient_acknowledged_investigational": "patient acknowledgement",
}


@dataclass(frozen=True)
class ChangeEntry:
    when: datetime
    who: str
    what: str


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def plan_change_log(plan: Plan, *, limit: int = 30) -> list[ChangeEntry]:
    """Newest first; two queries whatever the plan's size or age."""
    # Only the newest records (plus one to diff the oldest of them against): the page costs
    # the same after 300 saves as after 3.
    plan_records = list(
        Plan.history.filter(id=plan.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )[::-1]
    complete_history = len(plan_records) <= limit
    entries = []
    previous = None
    for record in plan_records:
        if previous is None:
            if complete_history:
                entries.append(ChangeEntry(record.history_date, _who(record), "created the plan"))
        else:
            delta = record.diff_against(previous, included_fields=list(PLAN_FIELDS))
            changes = []
            for change in delta.changes:
                if change.field == "status":
                    labels = dict(Plan._meta.get_field("status").choices)
                    changes.append(
                        f"status {labels.get(change.old, change.old)} → "
                        f"{labels.get(change.new, change.new)}"
                    )
                else:
                    changes.append(PLAN_FIELDS[change.field])
            if changes:
                entries.append(
                    ChangeEntry(record.history_date, _who(record), "changed " + ", ".join(changes))
                )
        previous = record

    course_records = (
        Course.history.filter(plan_id=plan.pk)
        .select_related("history_user", "treatment")
        .order_by("-history_date")[: limit * 2]
    )
    # A save replaces the courses; one line per save reads better than one per course.
    by_moment: dict[tuple, list[str]] = {}
    for record in course_records:
        key = (record.history_date.replace(microsecond=0), _who(record))
        sign = "+" if record.history_type == "+" else "−" if record.history_type == "-" else "~"
        by_moment.setdefault(key, []).append(f"{sign}{record.treatment.name} × {record.sessions}")
    for (when, who), items in by_moment.items():
        added = sorted(i[1:] for i in items if i.startswith("+"))
        removed = sorted(i[1:] for i in items if i.startswith("−"))
        if added == removed:
            continue  # saved without changing the courses
        parts = []
        if added:
            parts.append("courses now " + "; ".join(added))
        entries.append(ChangeEntry(when, who, ", ".join(parts) or "removed courses"))

    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
