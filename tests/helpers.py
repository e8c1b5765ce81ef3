"""Small helpers shared by tests that are not fixtures or factories."""

from collections.abc import Callable

from django.utils import timezone

from planner.models import Plan
from planner.planning import drafts_of, shown_fingerprint
from planner.selectors import plan_outlook_for


def sign_off_fields(plan: Plan) -> dict:
    """The hidden fields a clinician's sign-off form carries for the plan as it is now
    (what the plan page would hand out)."""
    plan = Plan.objects.prefetch_related("courses__treatment", "courses__product").get(pk=plan.pk)
    outlook = plan_outlook_for(plan=plan, today=timezone.localdate())
    return {
        "version": plan.version,
        "fingerprint": shown_fingerprint(drafts_of(plan), outlook.due_diligence_gaps),
    }


def sign_off_expected(plan: Plan) -> dict:
    """The same, as the keyword arguments the sign-off actions take."""
    fields = sign_off_fields(plan)
    return {"expected_version": fields["version"], "expected_fingerprint": fields["fingerprint"]}


def two_users_one_stale(
    *, read: Callable[[], object], other_write: Callable[[], None], stale_write, state
):
    """Two users, one stale, in one line: the first user reads (their page), the second
    writes, then the first submits what they read. Asserts the stale submit changed nothing
    (`state()` is the same as right after the other write) and returns its result (a
    response, or the exception an action raised) for the caller to check the message."""
    seen = read()
    other_write()
    after_other = state()
    try:
        result = stale_write(seen)
    except Exception as error:  # an action refusing is the expected outcome
        result = error
    assert state() == after_other, "a stale write changed the record"
    return result


def tiny_png() -> bytes:
    """A small valid PNG, as a drawn signature would be."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (60, 20), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((2, 15, 58, 5), fill=(0, 0, 0, 255), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sign_as_patient(plan: Plan, *, staff, name: str = "Ada Example"):
    """The patient accepts a presented plan on a fresh link, ticking every consent it needs
    (what the public page does): returns the signed record; the plan is then accepted."""
    from planner.signing import actions as signing
    from planner.signing.selectors import (
        deposit_due,
        required_consents,
        shown_hash,
        shown_payload,
    )

    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)
    link, _token = signing.link_create(plan=plan, user=staff, expected_version=plan.version)
    consents = required_consents(plan=plan)
    shown = shown_hash(shown_payload(plan=plan, consents=consents, deposit=deposit_due(plan=plan)))
    return signing.plan_sign(
        link=link,
        typed_name=name,
        ticked_consents={c.pk for c in consents},
        signature_png=tiny_png(),
        expected_hash=shown,
        summary_html="<p>summary</p>",
        ip="203.0.113.9",
        user_agent="test",
    )


def derived_rows() -> dict:
    """Every row and column planner/derived.py rebuilds, as plain values (lots whose totals
    came back to zero left out: a rebuild has no row for them)."""
    from django.db.models import Q

    from planner.models import DepositBalance, LotReach, LotUse, ShareLink

    return {
        "links": sorted(ShareLink.objects.values_list("pk", "last_opened_at", "times_opened")),
        "plans": sorted(Plan.objects.values_list("pk", "link_expires_at")),
        "deposits": sorted(
            DepositBalance.objects.values_list(
                "plan_id", "asked", "received", "currency", "owed_since"
            )
        ),
        "reach": sorted(
            LotReach.objects.values_list(
                "lot_id", "patient_id", "patient_name", "performed", "planned"
            )
        ),
        "uses": sorted(
            LotUse.objects.filter(
                Q(patients__gt=0) | Q(performed__gt=0) | Q(planned__gt=0)
            ).values_list("lot_id", "patients", "performed", "planned")
        ),
    }


def assert_derived_rows_kept() -> dict:
    """What the actions kept (planner/derived.py) is what a full rebuild from the records
    gives; returns it, for the caller's own checks."""
    from django.db import connection, transaction

    from planner.derived import rebuild_all

    kept = derived_rows()
    with transaction.atomic():
        rebuild_all(connection)
        rebuilt = derived_rows()
        transaction.set_rollback(True)
    assert kept == rebuilt
    return kept
