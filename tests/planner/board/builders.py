"""Rows for the day board's lists, written straight to the database (the flows that make
them have their own tests): fast enough to build hundreds for the query-count bounds. What
the actions derive from these rows (planner/derived.py) is kept here with the actions' own
helpers, as the actions do."""

import itertools
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import LotStatus
from planner.delivery.models import TreatmentSession
from planner.models import PlanStatus
from planner.signing.actions import deposit_balance_refresh, plan_link_expiry_refresh
from planner.signing.models import (
    Deposit,
    ShareLink,
    SignedConsent,
    SignedRecord,
    SigningEvent,
)
from planner.signing.selectors import active_consent_documents, consents_needed
from tests.factories.clinic import ProductLotFactory
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory

QUOTE = {"total_min": "600", "total_max": "1500", "currency": "USD"}
_tokens = itertools.count()


def quoted_days_ago(days: int) -> datetime:
    """Noon, `days` local days ago."""
    day = timezone.localdate() - timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(12)))


def presented_plan(*, quoted_days: int = 3, title: str = "Presented plan", patient=None):
    return PlanFactory(
        patient=patient or PatientFactory(),
        title=title,
        status=PlanStatus.PRESENTED,
        quote=QUOTE,
        quoted_at=quoted_days_ago(quoted_days),
    )


def link_for(plan, *, staff, expires_in_days: float = 10, **fields) -> ShareLink:
    link = ShareLink.objects.create(
        plan=plan,
        token_hash=f"{next(_tokens):064d}",  # as long as a real sha256 hex digest
        plan_version=plan.version,
        created_by=staff,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
        **fields,
    )
    plan_link_expiry_refresh(plan_id=plan.pk)
    return link


def opened(link, *, hours_ago: float = 1) -> SigningEvent:
    """An "opened" event `hours_ago`, counted on the link as signing.actions.link_opened
    counts the ones it writes now."""
    event = SigningEvent.objects.create(
        kind=SigningEvent.Kind.OPENED,
        plan=link.plan,
        link=link,
        at=timezone.now() - timedelta(hours=hours_ago),
    )
    events = SigningEvent.objects.filter(link=link, kind=SigningEvent.Kind.OPENED)
    ShareLink.objects.filter(pk=link.pk).update(
        last_opened_at=events.aggregate(at=Max("at"))["at"], times_opened=events.count()
    )
    return event


def accepted_plan(
    *, staff, deposit_due=None, title: str = "Accepted plan", status=PlanStatus.ACCEPTED
):
    """A plan accepted now (its decision time says so, as the accepting transition stamps
    it), signed on a link with `deposit_due`."""
    plan = PlanFactory(
        title=title,
        status=status,
        quote=QUOTE,
        quoted_at=quoted_days_ago(5),
        decided_at=timezone.now(),
    )
    signed(plan, staff=staff, deposit_due=deposit_due)
    return plan


def signed(plan, *, staff, deposit_due=None, kinds=()) -> SignedRecord:
    """The patient's acceptance on a used link, with the consents `kinds` of treatment need."""
    link = link_for(plan, staff=staff, used_at=timezone.now())
    record = SignedRecord.objects.create(
        plan=plan,
        link=link,
        decision=SignedRecord.Decision.ACCEPTED,
        plan_version=plan.version,
        typed_name="Ada Example",
        signed_at=timezone.now(),
        shown_hash="0" * 64,
        shown_summary_html="<p>summary</p>",
        deposit_due=deposit_due,
        currency="USD",
    )
    for document in consents_needed(active_consent_documents(), set(kinds)):
        SignedConsent.objects.create(
            record=record,
            document=document,
            slug=document.slug,
            version=document.version,
            title=document.title,
            text=document.text,
        )
    deposit_balance_refresh(plan=plan)
    return record


def cancel(plan) -> None:
    """The plan cancelled (what cancelling derives: nothing owed on it any more)."""
    plan.status = PlanStatus.CANCELLED
    plan.save(update_fields=["status"])
    deposit_balance_refresh(plan=plan)


def deposit(plan, amount, *, staff) -> Deposit:
    deposit = Deposit.objects.create(
        plan=plan,
        amount=Decimal(amount),
        currency="USD",
        received_on=timezone.localdate(),
        method=Deposit.Method.CASH,
        recorded_by=staff,
    )
    deposit_balance_refresh(plan=plan)
    return deposit


def session_plan(catalog, *, staff, days_ahead=(0,), lot=None, title="Session plan"):
    """An accepted plan (its consents signed) with one microneedling course whose sessions
    fall `days_ahead` of today, naming `lot` (a released one by default)."""
    today = timezone.localdate()
    if lot is None:
        lot = ProductLotFactory(
            received_on=today - timedelta(days=30),
            expires_on=today + timedelta(days=365),
            status=LotStatus.RELEASED,
        )
    plan = PlanFactory(title=title, status=PlanStatus.ACCEPTED)
    signed(plan, staff=staff, kinds={catalog[MICRONEEDLING].kind})
    course = CourseFactory(
        plan=plan,
        position=0,
        treatment=catalog[MICRONEEDLING],
        sessions=len(days_ahead),
        product=lot.product,
        lot=lot,
        first_session=today + timedelta(days=days_ahead[0]),
    )
    TreatmentSession.objects.bulk_create(
        TreatmentSession(
            plan=plan,
            course=course,
            number=number,
            planned_date=today + timedelta(days=days),
            planned_lot=lot,
            needs_lot=True,
        )
        for number, days in enumerate(days_ahead, start=1)
    )
    return plan
