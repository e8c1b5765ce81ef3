"""The plan's compact change log: who changed what, and when, from django-simple-history."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from planner.models import Course, Plan
from planner.selectors import user_names

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


@dataclass(frozen=True)
class ChangeRecord:
    """A line of the change log before its author is named: `who_id` is the user who made
    the change (None: the system). Names are read when the log is shown (`named`), so a log
    kept in the shared cache never shows a name someone has since changed."""

    when: datetime
    who_id: int | None
    what: str


# Read as plain rows (values()), not history model instances: building 31 historical plans
# and 60 historical courses was a fifth of the plan page's time.
SYSTEM = "system"


def plan_change_records(plan: Plan, *, limit: int = 30) -> list[ChangeRecord]:
    """Newest first; two queries whatever the plan's size or age."""
    # Only the newest records (plus one to diff the oldest of them against): the page costs
    # the same after 300 saves as after 3.
    plan_records = list(
        PlanHistory.objects.filter(id=plan.pk)
        .order_by("-history_date", "-history_id")
        .values("history_date", "history_user_id", *PLAN_FIELDS)[: limit + 1]
    )[::-1]
    complete_history = len(plan_records) <= limit
    entries = []
    previous = None
    for record in plan_records:
        who = record["history_user_id"]
        if previous is None:
            if complete_history:
                entries.append(ChangeRecord(record["history_date"], who, "created the plan"))
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
                    ChangeRecord(record["history_date"], who, "changed " + ", ".join(changes))
                )
        previous = record

    course_records = (
        CourseHistory.objects.filter(plan_id=plan.pk)
        .order_by("-history_date")
        .values("history_date", "history_type", "sessions", "treatment__name", "history_user_id")[
            : limit * 2
        ]
    )
    # A save replaces the courses; one line per save reads better than one per course.
    by_moment: dict[tuple, list[str]] = {}
    for record in course_records:
        key = (record["history_date"].replace(microsecond=0), record["history_user_id"])
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
        entries.append(ChangeRecord(when, who, ", ".join(parts) or "removed courses"))

    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


def named(records: Iterable[ChangeRecord], names: dict[int, str]) -> list[ChangeEntry]:
    """The records with their authors' names (planner.selectors.user_names)."""
    return [
        ChangeEntry(r.when, SYSTEM if r.who_id is None else names.get(r.who_id, SYSTEM), r.what)
        for r in records
    ]


def plan_change_log(plan: Plan, *, limit: int = 30) -> list[ChangeEntry]:
    """Newest first, each line with who made it: three queries whatever the plan's size."""
    records = plan_change_records(plan, limit=limit)
    return named(records, user_names(r.who_id for r in records))
