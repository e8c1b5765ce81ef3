"""The plan status workflow: which moves exist, and what each move means.

draft → presented → accepted → in progress → completed, with declined and cancelled as the
ways out. Accepting creates the session records; from there the plan moves to in progress and
completed as its sessions are recorded, not by a button. "Reprice" (presented → draft) is
the one way back: it drops the frozen quote so the plan takes today's prices again."""

from planner.models import PlanStatus as S

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
