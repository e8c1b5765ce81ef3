"""What the plan page shows that follows from the plan at one version, the catalog and the
day: the results panel as rendered, the moves staff may make and why a guardrail refuses
one, the open due-diligence questions, the plan's treatment kinds (for its consents) and the
change log. Worked out from the plan's courses, then kept in the shared cache
(planner.fragments) under the plan's version, the catalog's token and the day, so that a
plan opened again costs neither its courses' query, nor its outlook, nor its history's.

What is not here is read on every view: the plan itself, who is named (a name can change
without the plan changing), the patient's other plans, the signing links and the session
records."""

from dataclasses import dataclass
from datetime import date

from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string

from clinic.catalog_cache import Catalog, with_catalog_rows
from planner import fragments, workflow
from planner.access import COURSES
from planner.history import ChangeRecord, plan_change_records
from planner.models import Plan, PlanStatus
from planner.planning import drafts_of, shown_fingerprint
from planner.selectors import plan_outlook_for


@dataclass(frozen=True)
class Move:
    """A status the plan may move to, its button's label, and why a guardrail refuses it
    ("" when none does) or what staff confirm first."""

    status: str
    label: str
    refusal: str
    cautions: tuple[str, ...]


@dataclass(frozen=True)
class PlanReading:
    results_html: str
    moves: tuple[Move, ...]
    investigational: bool
    due_diligence_gaps: tuple[str, ...]
    fingerprint: str
    treatment_kinds: frozenset[str]
    change_log: tuple[ChangeRecord, ...]


def read_plan(*, plan: Plan, catalog: Catalog, today: date) -> PlanReading:
    """The reading of `plan` (its courses prefetched, with the catalog's rows)."""
    outlook = plan_outlook_for(plan=plan, today=today, catalog=catalog)
    gaps = outlook.due_diligence_gaps
    return PlanReading(
        results_html=render_to_string("planner/_plan_results.html", {"outlook": outlook}),
        moves=tuple(
            Move(
                status=status,
                label=workflow.action_label(plan.status, status),
                refusal=workflow.transition_refusal(plan=plan, to_status=status, outlook=outlook),
                cautions=tuple(
                    workflow.presenting_cautions(outlook) if status == PlanStatus.PRESENTED else ()
                ),
            )
            for status in workflow.allowed_transitions(plan.status)
        ),
        investigational=plan.has_investigational_course,
        due_diligence_gaps=tuple(gaps),
        fingerprint=shown_fingerprint(drafts_of(plan), gaps),
        treatment_kinds=frozenset(course.treatment.kind for course in plan.courses.all()),
        change_log=tuple(plan_change_records(plan)),
    )


def plan_reading(*, plan: Plan, catalog: Catalog, today: date) -> PlanReading:
    """The reading of `plan` from the shared cache, or worked out (reading the plan's courses
    first when they are not prefetched) and kept."""

    def read() -> PlanReading:
        prefetch_related_objects([plan], COURSES)  # nothing to do when already prefetched
        with_catalog_rows(plan.courses.all(), catalog)
        return read_plan(plan=plan, catalog=catalog, today=today)

    # No token (a flushed database): nothing could tell the kept reading is out of date.
    parts = None if catalog.token is None else (plan.pk, plan.version, catalog.token, today)
    return fragments.cached("plan-reading", parts, read)
