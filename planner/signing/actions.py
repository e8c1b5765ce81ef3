"""Writes of the signing capability: each one function, one transaction, keyword-only, and
checked against what its author saw (the plan's version, the link's state, the hash of what
the patient was shown)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone

from clinic.formatting import format_date
from clinic.models import TreatmentKind
from planner import actions as plan_actions
from planner.actions import PlanActionError, _claim_version
from planner.models import Plan, PlanStatus
from planner.signing.models import (
    MAX_WRONG_CHECKS,
    Deposit,
    DepositBalance,
    ShareLink,
    SignedConsent,
    SignedRecord,
    SigningEvent,
)
from planner.signing.selectors import (
    TAKES_DEPOSITS,
    deposit_due,
    required_consents,
    shown_hash,
    shown_payload,
)
from planner.signing.tokens import new_token, token_hash

LINK_NEEDS_PRESENTED = "Only a presented plan can be shared for signing: present it first."
LINK_NEEDS_DATE_OF_BIRTH = (
    "Record the patient's date of birth first: the patient types it to open the link."
)
LINK_QUOTE_EXPIRED = (
    "This plan's quote ran out on {day}: a patient can no longer sign it, so no link was "
    "created. Reprice the plan (back to draft) and present it again, then share it."
)
LINK_STALE = (
    "This plan changed after this page was opened. No link was created: read the plan as it "
    "is now and create the link again."
)
LINK_ALREADY_CLOSED = "This link was already revoked or used; nothing changed."
LINK_NOT_OPEN = "This link is no longer open. Ask the clinic for a new one."
SHOWN_CHANGED = (
    "The plan changed while you were reading it. Nothing was signed: please read it again."
)
CONSENTS_NOT_TICKED = "Tick each consent to show you have read and agree to it."
NAME_NEEDED = "Type your full name."
SIGNATURE_NEEDED = "Draw your signature in the box."
DEPOSIT_NEEDS_ACCEPTED = "Deposits are recorded on an accepted plan (or one in progress)."
STALE_DEPOSIT = (
    "This plan changed after this page was opened. Nothing was recorded: check the deposits "
    "shown now and record it again if it is still missing."
)
STALE_DEPOSIT_VOID = (
    "This plan changed after this page was opened. Nothing was voided: check the deposits "
    "shown now and void it again if it is still wrong."
)
VOID_REASON_NEEDED = "Say why this deposit is voided (for example: wrong amount typed)."
VOID_REASON_LIMIT = Deposit._meta.get_field("void_reason").max_length
VOID_REASON_TOO_LONG = "Keep the reason to {limit} characters or fewer (it has {length})."
DEPOSIT_ALREADY_VOIDED = "This deposit was already voided; nothing changed."


def log_event(*, kind: str, plan=None, link=None, user=None, ip=None, user_agent="", detail=""):
    """One row of the signing audit trail."""
    return SigningEvent.objects.create(
        kind=kind,
        plan=plan,
        link=link,
        user=user if user is not None and user.is_authenticated else None,
        ip_address=ip,
        user_agent=(user_agent or "")[:500],
        detail=detail[:300],
    )


@transaction.atomic(savepoint=False)
def link_opened(*, link: ShareLink, ip=None, user_agent="") -> SigningEvent:
    """The patient opened their link (its check page or the plan): the audit trail's event,
    and the link's own count and time of opening, which the day board lists from. Both or
    neither (no savepoint of its own inside a caller's transaction)."""
    event = log_event(
        kind=SigningEvent.Kind.OPENED, plan=link.plan, link=link, ip=ip, user_agent=user_agent
    )
    ShareLink.objects.filter(pk=link.pk).update(
        last_opened_at=event.at, times_opened=F("times_opened") + 1
    )
    link.last_opened_at, link.times_opened = event.at, link.times_opened + 1
    return event


def plan_link_expiry_refresh(*, plan_id: int) -> None:
    """Plan.link_expires_at from the plan's links as they are now: after a link is created,
    revoked or locked (a new plan version clears it: planner.actions._claim_version). Runs in
    the caller's transaction, the plan's row locked first: on PostgreSQL an UPDATE that had
    waited for another transaction's new link would otherwise leave that link out."""
    Plan.objects.select_for_update().filter(pk=plan_id).values_list("pk").first()
    open_links = ShareLink.objects.filter(
        plan=OuterRef("pk"),
        plan_version=OuterRef("version"),
        used_at__isnull=True,
        revoked_at__isnull=True,
        locked_at__isnull=True,
    )
    Plan.objects.filter(pk=plan_id).update(
        link_expires_at=Subquery(open_links.order_by("-expires_at").values("expires_at")[:1])
    )


def deposit_balance_refresh(*, plan: Plan) -> None:
    """The plan's DepositBalance as its acceptance, deposits and status say now: there when
    the acceptance asked a deposit, owed (since the acceptance) while a plan taking deposits
    has received less. Call after any of them changes (a signature, a deposit, the plan
    leaving accepted or in progress), in the caller's transaction, the plan's row claimed."""
    record = (
        SignedRecord.objects.filter(plan=plan, decision=SignedRecord.Decision.ACCEPTED)
        .order_by("-signed_at", "-id")  # the newest acceptance, as the board reads it
        .values("signed_at", "deposit_due", "currency")
        .first()
    )
    if record is None or not record["deposit_due"]:
        DepositBalance.objects.filter(plan=plan).delete()
        return
    received = Deposit.objects.filter(plan=plan, voided_at__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    received = received or Decimal("0")
    owed = plan.status in TAKES_DEPOSITS and received < record["deposit_due"]
    DepositBalance.objects.update_or_create(
        plan=plan,
        defaults={
            "asked": record["deposit_due"],
            "received": received,
            "currency": record["currency"],
            "owed_since": record["signed_at"] if owed else None,
        },
    )


def deposit_balance_settle(*, plan: Plan) -> None:
    """The plan no longer takes deposits (completed or cancelled): nothing is owed on it,
    whatever came in. One UPDATE, in the caller's transaction."""
    DepositBalance.objects.filter(plan=plan, owed_since__isnull=False).update(owed_since=None)


def _link_expiry(plan: Plan):
    """SIGNING_LINK_DAYS from now, but never past the last day the quote is valid: the
    patient never signs a quote that has run out."""
    expires = timezone.now() + timedelta(days=settings.SIGNING_LINK_DAYS)
    if plan.quoted_at:
        last_day = plan.quote_valid_until
        quote_end = timezone.make_aware(datetime.combine(last_day, time.max))
        expires = min(expires, quote_end)
    return expires


@transaction.atomic
def link_create(
    *, plan: Plan, user, expected_version: int | None, kiosk: bool = False, ip=None
) -> tuple[ShareLink, str]:
    """A new private link to `plan` at the version staff saw. Returns the link and its token,
    which is never stored and cannot be shown again."""
    # Checked, not bumped: a new link does not change the plan (other links stay open).
    current = Plan.objects.select_for_update().filter(pk=plan.pk).values("version", "status")
    current = current.first()
    if current is None or current["version"] != expected_version:
        raise PlanActionError(LINK_STALE)
    if current["status"] != PlanStatus.PRESENTED:
        raise PlanActionError(LINK_NEEDS_PRESENTED)
    if plan.patient.date_of_birth is None:
        raise PlanActionError(LINK_NEEDS_DATE_OF_BIRTH)
    if plan.quoted_at and plan.quote_valid_until < timezone.localdate():
        # Its expiry would be the quote's last day, already past: a link born dead.
        raise PlanActionError(LINK_QUOTE_EXPIRED.format(day=format_date(plan.quote_valid_until)))
    token = new_token()
    link = ShareLink(
        plan=plan,
        token_hash=token_hash(token),
        plan_version=expected_version,
        kiosk=kiosk,
        created_by=user,
        expires_at=_link_expiry(plan),
    )
    link.full_clean()
    link.save()
    plan_link_expiry_refresh(plan_id=plan.pk)
    log_event(
        kind=SigningEvent.Kind.KIOSK if kiosk else SigningEvent.Kind.CREATED,
        plan=plan,
        link=link,
        user=user,
        ip=ip,
    )
    return link, token


@transaction.atomic
def link_revoke(*, link: ShareLink, user, ip=None) -> ShareLink:
    """Close a link that is still open; one conditional UPDATE, so a second revoke (or a
    signature landing first) is told, not repeated."""
    now = timezone.now()
    rows = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True, used_at__isnull=True)
    if not rows.update(revoked_at=now, revoked_by=user):
        raise PlanActionError(LINK_ALREADY_CLOSED)
    link.revoked_at, link.revoked_by = now, user
    plan_link_expiry_refresh(plan_id=link.plan_id)
    log_event(kind=SigningEvent.Kind.REVOKED, plan=link.plan, link=link, user=user, ip=ip)
    return link


@transaction.atomic
def link_check(*, link: ShareLink, date_of_birth: date | None, ip=None, user_agent="") -> bool:
    """The patient's second factor. A wrong date counts toward the lock, atomically, so
    parallel guesses cannot get past MAX_WRONG_CHECKS; the last one locks the link."""
    if link.locked_at is None and date_of_birth == link.plan.patient.date_of_birth:
        log_event(
            kind=SigningEvent.Kind.CHECK_PASSED,
            plan=link.plan,
            link=link,
            ip=ip,
            user_agent=user_agent,
        )
        return True
    ShareLink.objects.filter(pk=link.pk, locked_at__isnull=True).update(
        wrong_checks=F("wrong_checks") + 1
    )
    locked = ShareLink.objects.filter(
        pk=link.pk, locked_at__isnull=True, wrong_checks__gte=MAX_WRONG_CHECKS
    ).update(locked_at=timezone.now())
    link.refresh_from_db(fields=["wrong_checks", "locked_at"])
    log_event(
        kind=SigningEvent.Kind.CHECK_FAILED, plan=link.plan, link=link, ip=ip, user_agent=user_agent
    )
    if locked:
        plan_link_expiry_refresh(plan_id=link.plan_id)
        log_event(kind=SigningEvent.Kind.LOCKED, plan=link.plan, link=link, ip=ip)
    return False


def _close_link(link: ShareLink, plan: Plan) -> None:
    """Lock the link and the plan for this decision, or refuse: one decision per link."""
    now = timezone.now()
    locked = ShareLink.objects.select_for_update().get(pk=link.pk)
    if locked.state(plan_version=plan.version, now=now) != "live":
        raise PlanActionError(LINK_NOT_OPEN)
    ShareLink.objects.filter(pk=link.pk).update(used_at=now)
    link.used_at = now


@transaction.atomic
def plan_sign(
    *,
    link: ShareLink,
    typed_name: str,
    ticked_consents: set[int],
    signature_png: bytes,
    expected_hash: str,
    summary_html: str,
    ip=None,
    user_agent: str = "",
) -> SignedRecord:
    """The patient accepts the plan on its link: the record of what they saw and signed,
    the link used, the plan accepted. Refused (nothing written) if anything they saw has
    changed since, a consent is not ticked, or the name or signature is missing."""
    plan = (
        Plan.objects.select_for_update().prefetch_related("courses__treatment").get(pk=link.plan_id)
    )
    _close_link(link, plan)
    consents = required_consents(plan=plan)
    due = deposit_due(plan=plan)
    if shown_hash(shown_payload(plan=plan, consents=consents, deposit=due)) != expected_hash:
        raise PlanActionError(SHOWN_CHANGED)
    if not typed_name.strip():
        raise PlanActionError(NAME_NEEDED)
    if {c.pk for c in consents} - set(ticked_consents):
        raise PlanActionError(CONSENTS_NOT_TICKED)
    if not signature_png:
        raise PlanActionError(SIGNATURE_NEEDED)
    record = SignedRecord(
        plan=plan,
        link=link,
        decision=SignedRecord.Decision.ACCEPTED,
        plan_version=plan.version,
        typed_name=typed_name.strip(),
        signed_at=timezone.now(),
        ip_address=ip,
        user_agent=user_agent[:500],
        shown_hash=expected_hash,
        shown_summary_html=summary_html,
        deposit_due=due,
        currency=(plan.quote or {}).get("currency") or settings.CURRENCY,
        signature_png=signature_png,
    )
    record.full_clean(exclude=["pdf", "plan", "link"])
    record.save()
    for document in consents:
        SignedConsent.objects.create(
            record=record,
            document=document,
            slug=document.slug,
            version=document.version,
            title=document.title,
            text=document.text,
        )
    if any(TreatmentKind.INJECTABLE in d.treatment_kinds for d in consents):
        # The patient's own acknowledgement of the investigational treatment: this consent.
        plan.patient_acknowledged_investigational = True
    plan_actions.plan_transition(
        plan=plan, to_status=PlanStatus.ACCEPTED, user=None, expected_version=plan.version
    )
    deposit_balance_refresh(plan=plan)
    log_event(
        kind=SigningEvent.Kind.SIGNED,
        plan=plan,
        link=link,
        ip=ip,
        user_agent=user_agent,
        detail=f"hash {expected_hash[:16]}",
    )
    return record


@transaction.atomic
def plan_decline(
    *,
    link: ShareLink,
    reason: str,
    expected_hash: str,
    summary_html: str,
    ip=None,
    user_agent: str = "",
) -> SignedRecord:
    """The patient declines the plan on its link (a reason is optional)."""
    plan = (
        Plan.objects.select_for_update().prefetch_related("courses__treatment").get(pk=link.plan_id)
    )
    _close_link(link, plan)
    consents = required_consents(plan=plan)
    due = deposit_due(plan=plan)
    if shown_hash(shown_payload(plan=plan, consents=consents, deposit=due)) != expected_hash:
        raise PlanActionError(SHOWN_CHANGED)
    record = SignedRecord.objects.create(
        plan=plan,
        link=link,
        decision=SignedRecord.Decision.DECLINED,
        plan_version=plan.version,
        decline_reason=reason.strip()[:2000],
        signed_at=timezone.now(),
        ip_address=ip,
        user_agent=user_agent[:500],
        shown_hash=expected_hash,
        shown_summary_html=summary_html,
        deposit_due=due,
        currency=(plan.quote or {}).get("currency") or settings.CURRENCY,
    )
    plan_actions.plan_transition(
        plan=plan, to_status=PlanStatus.DECLINED, user=None, expected_version=plan.version
    )
    log_event(kind=SigningEvent.Kind.DECLINED, plan=plan, link=link, ip=ip, user_agent=user_agent)
    return record


@transaction.atomic
def record_store_pdf(*, record: SignedRecord, pdf: bytes) -> bytes:
    """Keep the signed record's PDF the first time it is made; from then on that stored
    file is the record (a second, concurrent rendering is discarded)."""
    SignedRecord.objects.filter(pk=record.pk, pdf=b"").update(pdf=pdf)
    stored = SignedRecord.objects.values_list("pdf", flat=True).get(pk=record.pk)
    record.pdf = bytes(stored)
    return record.pdf


@transaction.atomic
def deposit_record(
    *,
    plan: Plan,
    amount: Decimal,
    received_on: date,
    method: str,
    reference: str,
    user,
    expected_version: int | None,
) -> Deposit:
    """Staff record a deposit received for an accepted plan, as of the page they saw."""
    if plan.status not in TAKES_DEPOSITS:
        raise PlanActionError(DEPOSIT_NEEDS_ACCEPTED)
    _claim_version(plan, expected_version, status=plan.status, stale_message=STALE_DEPOSIT)
    deposit = Deposit(
        plan=plan,
        amount=amount,
        currency=(plan.quote or {}).get("currency") or settings.CURRENCY,
        received_on=received_on,
        method=method,
        reference=reference.strip(),
        recorded_by=user,
    )
    deposit.full_clean()
    deposit.save()
    deposit_balance_refresh(plan=plan)
    return deposit


@transaction.atomic
def deposit_void(*, deposit: Deposit, reason: str, user, expected_version: int | None) -> Deposit:
    """Staff void a deposit recorded by mistake (wrong amount, wrong plan), as of the page
    they saw: it stays on record with when, by whom and why, and no longer counts as
    received. Refused, nothing written, without a reason, when already voided or when the
    plan changed since."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanActionError(VOID_REASON_NEEDED)
    if len(reason) > VOID_REASON_LIMIT:
        raise PlanActionError(
            VOID_REASON_TOO_LONG.format(limit=VOID_REASON_LIMIT, length=len(reason))
        )
    # Read from the database, not the caller's copy: a double submit is told it was voided.
    if Deposit.objects.filter(pk=deposit.pk, voided_at__isnull=False).exists():
        raise PlanActionError(DEPOSIT_ALREADY_VOIDED)
    plan = deposit.plan
    _claim_version(plan, expected_version, status=plan.status, stale_message=STALE_DEPOSIT_VOID)
    now = timezone.now()
    # Conditional, the backstop to the check above (the version claimed first serialises two
    # voids; the later one rolls back with its claim). The reason is checked above and the
    # deposit_void_complete constraint holds the three fields together.
    voided = Deposit.objects.filter(pk=deposit.pk, voided_at__isnull=True).update(
        voided_at=now, voided_by=user, void_reason=reason
    )
    if not voided:
        raise PlanActionError(DEPOSIT_ALREADY_VOIDED)
    deposit.voided_at, deposit.voided_by, deposit.void_reason = now, user, reason
    deposit_balance_refresh(plan=plan)
    return deposit
