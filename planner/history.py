"""The plan's compact change log: who changed what, and when, from django-simple-history."""

from dataclasses import dataclass
from datetime import datetime

from planner.models import Course, Plan

# The history models' own managers: `Plan.history` builds a new manager class on every access
# (django-simple-history's descriptor), a tenth of a millisecond each time.
PlanHistory = Plan.history.model
CourseHistory = Course.history.model

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


# Read as plain rows (values()), not history model instances: building 31 historical plans
# and 60 historical courses was a fifth of the plan page's time.
WHO_FIELDS = ("history_user__username", "history_user__first_name", "history_user__last_name")


def _who(row: dict) -> str:
    if row["history_user__username"] is None:
        return "system"
    # As User.get_full_name() or get_username().
    full_name = f"{row['history_user__first_name']} {row['history_user__last_name']}".strip()
    return full_name or row["history_user__username"]


def plan_change_log(plan: Plan, *, limit: int = 30) -> list[ChangeEntry]:
    """Newest first; two queries whatever the plan's size or age."""
    # Only the newest records (plus one to diff the oldest of them against): the page costs
    # the same after 300 saves as after 3.
    plan_records = list(
        PlanHistory.objects.filter(id=plan.pk)
        .order_by("-history_date", "-history_id")
        .values("history_date", *WHO_FIELDS, *PLAN_FIELDS)[: limit + 1]
    )[::-1]
    complete_history = len(plan_records) <= limit
    entries = []
    previous = None
    for record in plan_records:
        if previous is None:
            if complete_history:
                entries.append(
                    ChangeEntry(record["history_date"], _who(record), "created the plan")
                )
        else:
            changes = []
            for field, words in PLAN_FIELDS.items():
                old, new = previous[field], record[field]
                if old == new:
                    continue
                if field == "status":
                    labels = dict(Plan._meta.get_field("status").choices)
                    changes.append(f"status {labels.get(old, old)} → {labels.get(new, new)}")
                else:
                    changes.append(words)
            if changes:
                entries.append(
                    ChangeEntry(
                        record["history_date"], _who(record), "changed " + ", ".join(changes)
                    )
                )
        previous = record

    course_records = (
        CourseHistory.objects.filter(plan_id=plan.pk)
        .order_by("-history_date")
        .values("history_date", "history_type", "sessions", "treatment__name", *WHO_FIELDS)[
            : limit * 2
        ]
    )
    # A save replaces the courses; one line per save reads better than one per course.
    by_moment: dict[tuple, list[str]] = {}
    for record in course_records:
        key = (record["history_date"].replace(microsecond=0), _who(record))
        kind = record["history_type"]
        sign = "+" if kind == "+" else "−" if kind == "-" else "~"
        by_moment.setdefault(key, []).append(
            f"{sign}{record['treatment__name']} × {record['sessions']}"
        )
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
