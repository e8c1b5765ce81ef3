"""The plan status workflow: which moves exist, and what each move means.

draft → presented → accepted → in progress → completed, with declined and cancelled as the
ways out. Accepting creates the session records; from there the plan moves to in progress and
completed as its sessions are recorded, not by a button. "Reprice" (presented → draft) is
the one way back: it drops the frozen quote so the plan takes today's prices again."""

from clinic.formatting import format_lot_warning
from planner.models import PlanStatus as S
from planner.planning import gaps_text

INVESTIGATIONAL_RECORD_MISSING = (
    "This plan includes an investigational (not FDA-approved) treatment. A clinician must "
    "record the IND or clinical-trial reference before it can be presented or accepted; the "
    "patient then acknowledges it by signing the investigational consent."
)
NO_COURSES = "A plan needs at least one course before it can be presented."
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

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.PRESENTED, S.CANCELLED),
    S.PRESENTED: (S.ACCEPTED, S.DECLINED, S.DRAFT, S.CANCELLED),
    # In progress and completed follow the session records (planner/delivery/actions.py
    # plan_sync_status); completing by hand with sessions left needs a reason (plan_complete).
    S.ACCEPTED: (S.CANCELLED,),
    S.IN_PROGRESS: (S.CANCELLED,),
    S.DECLINED: (S.DRAFT,),
    S.COMPLETED: (),
    S.CANCELLED: (),
}

# The button label staff see for each move.
ACTION_LABELS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.PRESENTED): "Present to patient",
    (S.PRESENTED, S.ACCEPTED): "Patient accepted",
    (S.PRESENTED, S.DECLINED): "Patient declined",
    (S.PRESENTED, S.DRAFT): "Reprice (back to draft)",
    (S.DECLINED, S.DRAFT): "Reopen as draft",
}

# Moving into these freezes the quote; moving back to draft thaws it.
FROZEN_STATUSES = frozenset({S.PRESENTED, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED})
# The investigational guardrail applies before a plan is shown or agreed.
NEEDS_INVESTIGATIONAL_RECORD = frozenset({S.PRESENTED, S.ACCEPTED})


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in allowed_transitions(from_status)


def action_label(from_status: str, to_status: str) -> str:
    return ACTION_LABELS.get((from_status, to_status), f"Mark {S(to_status).label.lower()}")


def transition_refusal(*, plan, to_status: str, outlook) -> str:
    """Why a guardrail refuses moving `plan` to `to_status` (its courses prefetched, `outlook`
    read today), or "" when nothing does. The plan page disables the button with this reason;
    actions.plan_transition refuses with it."""
    if to_status in NEEDS_INVESTIGATIONAL_RECORD:
        if not plan.courses.all():
            return NO_COURSES
        if plan.has_investigational_course and not plan.investigational_recorded:
            return INVESTIGATIONAL_RECORD_MISSING
        if outlook.investigational_without_product:
            treatments = ", ".join(outlook.investigational_without_product)
            return INVESTIGATIONAL_PRODUCT_MISSING.format(treatments=treatments)
        if outlook.blocking_lot_warnings:
            warning = format_lot_warning(outlook.blocking_lot_warnings[0])
            return LOT_CANNOT_BE_USED.format(warning=warning)
        gaps = outlook.due_diligence_gaps
        if gaps and plan.due_diligence_gaps_acknowledged != gaps_text(gaps):
            return DUE_DILIGENCE_UNACKNOWLEDGED
    return ""


def presenting_cautions(outlook) -> list[str]:
    """What staff confirm before presenting a plan that no guardrail refuses: its open
    warnings, and an estimate with sessions whose price is not set."""
    cautions = [warning.message for warning in outlook.warnings]
    if not outlook.estimate.complete:
        cautions.append("The estimate is incomplete: some sessions have no price set.")
    return cautions
