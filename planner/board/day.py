"""The day board's reads: the sessions of the coming days with what blocks them, the quotes
waiting for the patient, links about to run out or opened and left, recent acceptances and
the deposits still due. Reads only.

Every list is one page of an ordered query (planner.pagination.window_page, no COUNT), and
costs a fixed number of queries whatever the number of rows: the sessions' blocking checks
reuse the point-of-use rule (clinic.lots.rules) over prefetched lots and readings, and the
consent rule (planner.signing.selectors) over one read of the consent documents and one of
the consents the page's plans signed."""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from clinic.lots.rules import point_of_use_problems
from clinic.models import StorageCheck
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.models import Plan, PlanStatus
from planner.pagination import WindowPage, window_page
from planner.signing.models import Deposit, ShareLink, SignedConsent, SignedRecord, SigningEvent
from planner.signing.selectors import (
    active_consent_documents,
    consents_needed,
    consents_not_signed,
)

PER_PAGE = 20
ZERO = Decimal("0")
MONEY = DecimalField(max_digits=12, decimal_places=2)
# Only the columns the board shows, as plain values: building SQL for, and rows from, whole
# plans, patients, treatments and lots (the frozen quote JSON above all), then model
# instances of each, was most of the page's time.
SESSION_VALUES = (
    "id",
    "plan_id",
    "number",
    "planned_date",
    "planned_time",
    "needs_lot",
    "plan__patient__full_name",
    "course__sessions",
    "course__treatment__name",
    "course__treatment__kind",
    "planned_lot_id",
    "planned_lot__lot_number",
    "planned_lot__status",
    "planned_lot__received_on",
    "planned_lot__expires_on",
    "planned_lot__storage_reviewed_through",
    "planned_lot__product__name",
    "planned_lot__product__storage_min_celsius",
    "planned_lot__product__storage_max_celsius",
)


@dataclass(frozen=True)
class PlanRef:
    """What a row of the board shows of a plan. The plan lists read plain values rather than
    Plan and Patient instances: building those (and the SQL for select_related) cost more
    than the queries themselves."""

    pk: int
    title: str
    status: str
    patient_name: str

    @property
    def status_label(self) -> str:
        return PlanStatus(self.status).label


def plan_values(prefix: str = "") -> tuple[str, ...]:
    """The value names of PlanRef's fields, for a query over plans (prefix "") or over rows
    that point to one (prefix "plan__")."""
    return (f"{prefix}id", f"{prefix}title", f"{prefix}status", f"{prefix}patient__full_name")


def plan_ref(row: dict, prefix: str = "") -> PlanRef:
    pk, title, status, patient = (row[name] for name in plan_values(prefix))
    return PlanRef(pk=pk, title=title, status=status, patient_name=patient)


def _record(cls, row: dict):
    """A row record (a dataclass with a `plan` and fields named as the query's values) from
    a values() row over rows that point to a plan."""
    names = (f.name for f in fields(cls) if f.name != "plan")  # the row's extra "id" unused
    return cls(plan=plan_ref(row, "plan__"), **{name: row[name] for name in names})


HORIZON_DAYS = 7  # today and the next 7 days
EXPIRING_DAYS = 7
RECENT_DAYS = 14

CONSENT_MISSING = "Consent not signed for this plan: {title} (version {version})."
AGREED = (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)
# Deposits are recorded only on these (planner.signing.actions.deposit_record).
TAKES_DEPOSITS = (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS)


def horizon() -> timedelta:
    return timedelta(days=HORIZON_DAYS)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLot:
    """What the point-of-use rule (clinic.lots.rules) and the row read of a session's lot
    and its product."""

    lot_number: str
    status: str
    received_on: date
    expires_on: date
    storage_reviewed_through: date | None
    product_name: str
    storage_min_celsius: Decimal | None
    storage_max_celsius: Decimal | None


@dataclass(frozen=True)
class Reading:
    checked_on: date
    temperature_celsius: Decimal


@dataclass(frozen=True)
class SessionRow:
    pk: int
    plan_id: int
    number: int
    planned_date: date
    planned_time: time | None
    needs_lot: bool
    patient_name: str
    treatment_name: str
    course_sessions: int
    lot: PlannedLot | None
    # One sentence each: the lot may not be used that day, or a consent is not signed.
    blocking: tuple[str, ...]


def _planned_lot(row: dict) -> PlannedLot | None:
    if row["planned_lot_id"] is None:
        return None
    return PlannedLot(
        lot_number=row["planned_lot__lot_number"],
        status=row["planned_lot__status"],
        received_on=row["planned_lot__received_on"],
        expires_on=row["planned_lot__expires_on"],
        storage_reviewed_through=row["planned_lot__storage_reviewed_through"],
        product_name=row["planned_lot__product__name"],
        storage_min_celsius=row["planned_lot__product__storage_min_celsius"],
        storage_max_celsius=row["planned_lot__product__storage_max_celsius"],
    )


def sessions_ahead(*, today: date, page: str | None) -> WindowPage:
    """Open (planned) sessions from today to HORIZON_DAYS ahead, by day and time, each with
    its blocking warnings. At most four queries: the sessions, their lots' storage readings,
    the consent documents and the consents the page's plans signed."""
    rows = (
        TreatmentSession.objects.filter(
            status=SessionStatus.PLANNED,
            planned_date__gte=today,
            planned_date__lte=today + horizon(),
        )
        .order_by(
            "planned_date", F("planned_time").asc(nulls_last=True), "plan__patient__full_name", "id"
        )
        .values(*SESSION_VALUES)
    )
    result = window_page(rows, page, PER_PAGE)
    sessions = result.object_list
    if not sessions:
        return result
    readings: dict[int, list[Reading]] = {}
    for lot_id, checked_on, temperature in StorageCheck.objects.filter(
        lot_id__in={s["planned_lot_id"] for s in sessions} - {None}
    ).values_list("lot_id", "checked_on", "temperature_celsius"):
        readings.setdefault(lot_id, []).append(Reading(checked_on, temperature))
    documents = active_consent_documents()
    signed: dict[int, set[int]] = {}
    for plan_id, document_id in SignedConsent.objects.filter(
        record__plan_id__in={s["plan_id"] for s in sessions},
        record__decision=SignedRecord.Decision.ACCEPTED,
    ).values_list("record__plan_id", "document_id"):
        signed.setdefault(plan_id, set()).add(document_id)

    def session_row(s: dict) -> SessionRow:
        lot = _planned_lot(s)
        return SessionRow(
            pk=s["id"],
            plan_id=s["plan_id"],
            number=s["number"],
            planned_date=s["planned_date"],
            planned_time=s["planned_time"],
            needs_lot=s["needs_lot"],
            patient_name=s["plan__patient__full_name"],
            treatment_name=s["course__treatment__name"],
            course_sessions=s["course__sessions"],
            lot=lot,
            blocking=_blocking(
                lot,
                readings.get(s["planned_lot_id"], []),
                s["planned_date"],
                consents_needed(documents, {s["course__treatment__kind"]}),
                signed.get(s["plan_id"], set()),
            ),
        )

    return result.map(session_row)


def _blocking(lot, readings, day: date, required, signed_ids) -> tuple[str, ...]:
    """The point-of-use rule on the session's day (the perform page's check), and the
    consents the session's treatment needs that the patient has not signed for the plan."""
    problems = []
    if lot is not None:
        # The lot stands in for its product too: it carries the product's storage range.
        problems += point_of_use_problems(lot, lot, readings, on=day)
    for document in consents_not_signed(required, signed_ids):
        problems.append(CONSENT_MISSING.format(title=document.title, version=document.version))
    return tuple(problems)


def by_day(rows: list[SessionRow]) -> list[tuple[date, list[SessionRow]]]:
    """Rows (already in date order) grouped by their planned day."""
    groups: list[tuple[date, list[SessionRow]]] = []
    for row in rows:
        day = row.planned_date
        if not groups or groups[-1][0] != day:
            groups.append((day, []))
        groups[-1][1].append(row)
    return groups


# Quotes and links --------------------------------------------------------------------------


def _live_links():
    """Links a patient could still use for the plan as it is now."""
    return ShareLink.objects.filter(
        plan=OuterRef("pk"),
        plan_version=OuterRef("version"),
        revoked_at__isnull=True,
        used_at__isnull=True,
        locked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def _presented():
    """Presented plans (every one is waiting for the patient's answer), with the live link's
    expiry and when a link of the plan was last opened, in the same query."""
    opened = SigningEvent.objects.filter(plan=OuterRef("pk"), kind=SigningEvent.Kind.OPENED)
    return Plan.objects.filter(status=PlanStatus.PRESENTED).annotate(
        link_expires_at=Subquery(_live_links().order_by("-expires_at").values("expires_at")[:1]),
        last_opened_at=Subquery(opened.order_by("-at").values("at")[:1]),
    )


QUOTE_VALUES = (*plan_values(), "quoted_at", "link_expires_at", "last_opened_at")


@dataclass(frozen=True)
class QuoteRow:
    plan: PlanRef
    quoted_on: date | None
    age_days: int | None
    valid_until: date | None
    link_expires_at: datetime | None
    last_opened_at: datetime | None
    # Past its last valid day: the patient can no longer accept it as it stands.
    expired: bool


def _quote_rows(result: WindowPage, today: date) -> WindowPage:
    rows = []
    valid = timedelta(days=settings.QUOTE_VALID_DAYS)
    for row in result.object_list:
        quoted_on = timezone.localdate(row["quoted_at"]) if row["quoted_at"] else None
        # Plan.quote_valid_until's rule, on the row's values.
        valid_until = quoted_on + valid if quoted_on else None
        rows.append(
            QuoteRow(
                plan=plan_ref(row),
                quoted_on=quoted_on,
                age_days=(today - quoted_on).days if quoted_on else None,
                valid_until=valid_until,
                link_expires_at=row["link_expires_at"],
                last_opened_at=row["last_opened_at"],
                expired=valid_until is not None and valid_until < today,
            )
        )
    return WindowPage(object_list=rows, number=result.number, has_next=result.has_next)


def quotes_waiting(*, today: date, page: str | None) -> WindowPage:
    """Presented plans not yet signed, oldest quote first: one query."""
    rows = _presented().order_by(F("quoted_at").asc(nulls_first=True), "id").values(*QUOTE_VALUES)
    return _quote_rows(window_page(rows, page, PER_PAGE), today)


def quotes_expiring(*, today: date, page: str | None) -> WindowPage:
    """Presented plans whose quote's last valid day, or whose live link's expiry, falls
    within EXPIRING_DAYS (quotes already past their last day are in the waiting list,
    marked expired): soonest first, one query."""
    valid = timedelta(days=settings.QUOTE_VALID_DAYS)
    # The quote is valid through localdate(quoted_at) + valid: that day is today..today+7
    # when quoted_at falls in these local-day bounds.
    quoted_from = _start_of(today - valid)
    quoted_before = _start_of(today - valid + timedelta(days=EXPIRING_DAYS + 1))
    link_soon = timezone.now() + timedelta(days=EXPIRING_DAYS)
    quote_ends = ExpressionWrapper(F("quoted_at") + valid, output_field=DateTimeField())
    rows = (
        _presented()
        .filter(quoted_at__gte=quoted_from)
        .filter(
            Q(quoted_at__lt=quoted_before)
            | Q(Exists(_live_links().filter(expires_at__lte=link_soon)))
        )
        .annotate(ends=Least(quote_ends, Coalesce(F("link_expires_at"), quote_ends)))
        .order_by("ends", "id")
        .values(*QUOTE_VALUES)
    )
    return _quote_rows(window_page(rows, page, PER_PAGE), today)


@dataclass(frozen=True)
class OpenedLink:
    plan: PlanRef
    last_opened_at: datetime
    times_opened: int
    expires_at: datetime
    locked_at: datetime | None


def links_opened_not_signed(*, page: str | None) -> WindowPage:
    """Links to a presented plan's current version that the patient opened and has not
    used (signed or declined), most recently opened first: one query."""
    rows = (
        ShareLink.objects.filter(
            plan__status=PlanStatus.PRESENTED,
            plan_version=F("plan__version"),
            used_at__isnull=True,
            revoked_at__isnull=True,
        )
        # values() before the aggregates: the GROUP BY is these columns, not every column of
        # the link.
        .values("id", *plan_values("plan__"), "expires_at", "locked_at")
        .annotate(
            last_opened_at=Max("events__at", filter=Q(events__kind=SigningEvent.Kind.OPENED)),
            times_opened=Count("events", filter=Q(events__kind=SigningEvent.Kind.OPENED)),
        )
        .filter(last_opened_at__isnull=False)
        .order_by("-last_opened_at", "-id")
    )
    return window_page(rows, page, PER_PAGE).map(partial(_record, OpenedLink))


# Acceptances and deposits ------------------------------------------------------------------
#
# Simple queries on purpose: built with correlated subqueries, these lists cost about 8 ms
# each in Django's SQL compiler for 0.4 ms in the database.


@dataclass(frozen=True)
class Accepted:
    plan: PlanRef
    accepted_at: datetime
    # The deposit the patient's acceptance asked for (None: none asked), and what came in.
    deposit_asked: Decimal | None
    deposit_received: Decimal
    currency: str

    @property
    def deposit_outstanding(self) -> Decimal:
        return (self.deposit_asked or Decimal("0")) - self.deposit_received


def recently_accepted(*, today: date, page: str | None) -> WindowPage:
    """Plans accepted in the last RECENT_DAYS days (their decision time, which the accepting
    transition stamps whether staff or the patient's signature accepted) and still agreed,
    newest first, with their deposit: two queries (the plans through the decision-time
    index, the deposits), whatever the number of plans."""
    since = _start_of(today - timedelta(days=RECENT_DAYS))
    plans = (
        Plan.objects.filter(status__in=AGREED, decided_at__gte=since)
        .order_by("-decided_at", "-id")
        .values(*plan_values(), "decided_at")
    )
    result = window_page(plans, page, PER_PAGE)
    if not result.object_list:
        return result
    deposits = _deposits_of([row["id"] for row in result.object_list])
    rows = [
        Accepted(plan_ref(row), row["decided_at"], *deposits.get(row["id"], (None, ZERO, "")))
        for row in result.object_list
    ]
    return WindowPage(object_list=rows, number=result.number, has_next=result.has_next)


def _deposits_of(plan_ids) -> dict[int, tuple[Decimal | None, Decimal, str]]:
    """(asked, received, currency) per plan, the sums in the database: one query."""
    asked = {
        record["plan_id"]: record
        for record in SignedRecord.objects.filter(
            plan_id__in=plan_ids, decision=SignedRecord.Decision.ACCEPTED
        )
        .order_by("signed_at", "id")
        .values("plan_id", "deposit_due", "currency")
    }  # the newest acceptance last, so it wins
    received = dict(
        Deposit.objects.filter(plan_id__in=plan_ids)
        .order_by()
        .values("plan_id")
        .annotate(total=Sum("amount"))
        .values_list("plan_id", "total")
    )
    return {
        plan_id: (
            asked[plan_id]["deposit_due"],
            received.get(plan_id, ZERO),
            asked[plan_id]["currency"],
        )
        for plan_id in asked
    }


@dataclass(frozen=True)
class DepositDue:
    plan: PlanRef
    signed_at: datetime
    currency: str
    deposit_due: Decimal
    received: Decimal
    outstanding: Decimal


def deposits_due(*, page: str | None) -> WindowPage:
    """Accepted or in-progress plans whose patient's acceptance asked for a deposit and who
    paid less than it, longest waiting first: one query, the sums in the database. A plan is
    accepted once (an accepted plan can only be cancelled), so it has one such record."""
    rows = (
        SignedRecord.objects.filter(
            decision=SignedRecord.Decision.ACCEPTED,
            deposit_due__gt=0,
            plan__status__in=TAKES_DEPOSITS,
        )
        # values() before the sums: the GROUP BY is then these columns alone. After them it
        # was every column of the record, its signature image and PDF included (50 ms on the
        # bench's 25,000 plans).
        .values("id", *plan_values("plan__"), "signed_at", "currency", "deposit_due")
        .annotate(received=Coalesce(Sum("plan__deposits__amount"), ZERO, output_field=MONEY))
        .filter(deposit_due__gt=F("received"))
        .annotate(
            outstanding=ExpressionWrapper(F("deposit_due") - F("received"), output_field=MONEY)
        )
        .order_by("signed_at", "id")
    )
    return window_page(rows, page, PER_PAGE).map(partial(_record, DepositDue))
