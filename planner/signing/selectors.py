"""Read-side queries for signing: which consents a plan needs, what the patient is shown
(and its hash), the deposit due, a plan's links, records and deposits. Reads only."""

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from clinic.catalog_cache import Catalog
from clinic.models import ConsentDocument, DepositRule
from planner.models import Plan, PlanStatus
from planner.signing.models import ShareLink, SignedRecord
from planner.signing.tokens import token_hash

CENT = Decimal("0.01")
# Deposits are recorded only on these (actions.deposit_record); the board's deposits still
# due are theirs.
TAKES_DEPOSITS = (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS)


def active_consent_documents(catalog: Catalog | None = None) -> list[ConsentDocument]:
    """Every active consent version, newest version of each slug first, for
    `consents_needed` over any number of plans or sessions: from the cached catalog when the
    caller has it (no query), else one query."""
    if catalog is not None:
        return catalog.consent_documents
    return list(ConsentDocument.objects.filter(active=True).order_by("slug", "-version"))


def consents_needed(documents: list[ConsentDocument], kinds: set[str]) -> list[ConsentDocument]:
    """The rule: the newest active version of every consent whose treatment kinds include one
    of `kinds` (documents from active_consent_documents). No query."""
    newest: dict[str, ConsentDocument] = {}
    for document in documents:
        if document.slug not in newest and kinds & set(document.treatment_kinds):
            newest[document.slug] = document
    return list(newest.values())


def consents_not_signed(required: list[ConsentDocument], signed_ids) -> list[ConsentDocument]:
    """The required documents whose exact version is not among `signed_ids`."""
    return [document for document in required if document.pk not in signed_ids]


def required_consents(
    *, plan: Plan, catalog: Catalog | None = None, kinds: Iterable[str] | None = None
) -> list[ConsentDocument]:
    """The newest active version of every consent whose treatment kinds the plan's courses
    include (courses prefetched with their treatments, unless their `kinds` are given)."""
    if kinds is None:
        kinds = {course.treatment.kind for course in plan.courses.all()}
    kinds = set(kinds)
    if not kinds:
        return []
    return consents_needed(active_consent_documents(catalog), kinds)


def missing_consents(*, plan: Plan) -> list[ConsentDocument]:
    """Required consents the patient has not signed on an acceptance of this plan at its
    current version."""
    required = required_consents(plan=plan)
    if not required:
        return []
    signed = set(
        SignedRecord.objects.filter(
            plan=plan,
            decision=SignedRecord.Decision.ACCEPTED,
            plan_version=plan.version,
        ).values_list("consents__document_id", flat=True)
    )
    return consents_not_signed(required, signed)


def deposit_due(*, plan: Plan) -> Decimal | None:
    """What the clinic's deposit rule asks for this plan's quote; None for no deposit."""
    rule = DepositRule.objects.order_by("-updated_at", "-id").first()
    if rule is None or rule.kind == DepositRule.Kind.NONE:
        return None
    if rule.kind == DepositRule.Kind.FIXED:
        return rule.amount
    minimum = Decimal(str((plan.quote or {}).get("total_min") or "0"))
    due = (minimum * rule.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return due or None


def shown_payload(*, plan: Plan, consents: list[ConsentDocument], deposit: Decimal | None):
    """Exactly what the patient page shows that an agreement refers to: the plan at its
    version, the frozen quote, each consent's version and text, and the deposit due."""
    return {
        "plan": plan.pk,
        "plan_version": plan.version,
        "title": plan.title,
        "quote": plan.quote,
        "quoted_at": plan.quoted_at,
        "consents": [
            [c.slug, c.version, hashlib.sha256(c.text.encode()).hexdigest()] for c in consents
        ],
        "deposit_due": deposit,
    }


def shown_hash(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def link_by_token(token: str, *, for_summary: bool = False) -> ShareLink | None:
    """The link and its plan and patient. `for_summary`: also the plan's author and the
    staff member who recorded the investigational agreement, which the summary names, so
    the patient's plan page needs no second read of the plan."""
    related = ["plan__patient"]
    if for_summary:
        related += ["plan__created_by", "plan__investigational_recorded_by"]
    try:
        # get(), not filter().first(): the hash is unique, and first() would add an ORDER BY.
        return ShareLink.objects.select_related(*related).get(token_hash=token_hash(token))
    except ShareLink.DoesNotExist:
        return None


@dataclass(frozen=True)
class DepositBalance:
    received: Decimal
    balance_min: Decimal
    balance_max: Decimal
    currency: str
    # False when no session of the plan had a price: its quote's total is no sum of money,
    # so no balance can be worked out from it (deposits still come in, in `currency`).
    priced: bool = True
    # False when some sessions had no price: the balance leaves them out.
    complete: bool = True


def _deposit_asked(plan: Plan, records: list[SignedRecord]) -> Decimal | None:
    """Once the patient accepted, the deposit they were shown (frozen on their record);
    before, what the clinic's rule asks today."""
    accepted = [r for r in records if r.decision == SignedRecord.Decision.ACCEPTED]
    if accepted:
        return max(accepted, key=lambda r: r.signed_at).deposit_due
    if plan.quote and plan.status == PlanStatus.PRESENTED:
        return deposit_due(plan=plan)
    return None


@functools.cache
def _share_links_exist_sql() -> str:
    quote = connection.ops.quote_name
    links, plans = ShareLink._meta.db_table, Plan._meta.db_table
    link_plan = ShareLink._meta.get_field("plan").column
    return (
        f"EXISTS (SELECT 1 FROM {quote(links)} "
        f"WHERE {quote(links)}.{quote(link_plan)} = {quote(plans)}.{quote(Plan._meta.pk.column)})"
    )


def share_links_exist() -> RawSQL:
    """Whether a plan has had a signing link, as an annotation on a query of plans (their
    table under its own name): the plan page reads its links only then. Written out once:
    the ORM would build and compile the EXISTS on every request."""
    return RawSQL(_share_links_exist_sql(), (), output_field=BooleanField())


def plan_signing_overview(
    *,
    plan: Plan,
    catalog: Catalog | None = None,
    treatment_kinds: Iterable[str] | None = None,
    has_links: bool = True,
) -> dict:
    """What the plan page's signing section shows, in at most three queries whatever the
    plan's history: links with their records (one join; none when `has_links` is False,
    from share_links_exist), then only what the plan's status needs (the consents before
    acceptance, unless the cached catalog is given; the deposit rule once quoted; deposits
    after)."""
    links = (
        list(plan.share_links.select_related("created_by", "record").order_by("-created_at", "-id"))
        if has_links
        else []
    )
    records = [link.record for link in links if hasattr(link, "record")]
    before_acceptance = plan.status in (PlanStatus.DRAFT, PlanStatus.PRESENTED)
    required = (
        required_consents(plan=plan, catalog=catalog, kinds=treatment_kinds)
        if before_acceptance
        else []
    )
    agreed = plan.status in (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)
    # Voided deposits stay listed (who voided them, when and why: one join, no query per
    # row) but count toward nothing received.
    deposits = list(plan.deposits.select_related("recorded_by", "voided_by")) if agreed else []
    balance = None
    if agreed and plan.quote:
        received = sum((d.amount for d in deposits if d.voided_at is None), Decimal("0"))
        balance = DepositBalance(
            received=received,
            balance_min=Decimal(str(plan.quote.get("total_min") or "0")) - received,
            balance_max=Decimal(str(plan.quote.get("total_max") or "0")) - received,
            # The currency deposits are recorded in (actions.deposit_record), also when
            # nothing was priced and the quote has none.
            currency=plan.quote.get("currency") or settings.CURRENCY,
            priced=bool(plan.quote.get("currency")),
            complete=plan.quote.get("complete", True) is not False,
        )
    return {
        "links": [(link, link.state(plan_version=plan.version)) for link in links[:10]],
        "records": records,
        "deposits": deposits,
        "any_voided": any(d.voided_at for d in deposits),
        "balance": balance,
        "required_consents": required,
        # A presented plan has no acceptance at its version (accepting moves it on).
        "missing_consents": required if plan.status == PlanStatus.PRESENTED else [],
        "deposit_due": _deposit_asked(plan, records),
    }
