"""The day board's reads: the sessions of the coming days with what blocks them, the quotes
waiting for the patient, links about to run out or opened and left, recent acceptances and
the deposits still due. Reads only.

Every list is one page of an ordered query (planner.pagination.window_page, no COUNT), and
costs a fixed number of queries whatever the number of rows: the sessions' blocking checks
reuse the point-of-use rule (clinic.lots.rules) over prefetched lots and readings, and the
consent rule (planner.signing.selectors) over one read of the consent documents and one of
the consents the page's plans signed."""

import heapq
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from clinic.lots.rules import point_of_use_problems
from clinic.models import StorageCheck
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.models import Plan, PlanStatus
from planner.pagination import WindowPage, page_number, window_page
from planner.query_hints import Unindexed
from planner.signing.models import (
    Deposit,
    OutstandingDeposit,
    ShareLink,
    SignedConsent,
    SignedRecord,
)
from planner.signing.selectors import (
    active_consent_documents,
    consents_needed,
    consents_not_signed,
)

PER_PAGE = 20
ZERO = Decimal("0")
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
    its blocking warnings. At most five queries: the screen's time slots, the sessions, their
    lots' storage readings, the consent documents and the consents the page's plans signed."""
    planned = TreatmentSession.objects.filter(status=SessionStatus.PLANNED)
    ahead = planned.filter(planned_date__gte=today, planned_date__lte=today + horizon())
    # Within a time slot the sessions go by patient name, which no index of sessions holds:
    # sorted as they were, a whole day of a clinic chain's sessions (hundreds) was read and
    # joined for one screen. The time slots of the rows up to this screen's end (and the one
    # after it, which tells whether there is a next page), read from the (status, day, time)
    # index alone, narrow the sessions read to this screen's slots.
    number = page_number(page)
    start, end = (number - 1) * PER_PAGE, number * PER_PAGE + 1
    slots = list(
        ahead.order_by("planned_date", F("planned_time").asc(nulls_last=True)).values_list(
            "planned_date", "planned_time"
        )[:end]
    )
    if len(slots) <= start:  # past the end (an old link): the first page
        return sessions_ahead(today=today, page="1") if number > 1 else WindowPage([], 1, False)
    first, last = slots[start], slots[-1] if len(slots) == end else None
    # The slots alone bound the days (with both, SQLite read the whole of the first day).
    rows = (
        (planned.filter(_slots_between(first, last)) if last else ahead.filter(_slots_from(first)))
        .order_by(
            "planned_date", F("planned_time").asc(nulls_last=True), "plan__patient__full_name", "id"
        )
        .values(*SESSION_VALUES)
    )
    skip = start - slots.index(first)  # the screen's first slot began on the page before
    found = list(rows[skip : skip + PER_PAGE + 1])
    result = WindowPage(found[:PER_PAGE], number, len(found) > PER_PAGE)
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


# Time slots are (day, time) pairs; sessions with no time set come last in their day.


def _on_day_from(day: date, at: time | None) -> Q:
    empty = Q(planned_date=day, planned_time__isnull=True)
    return empty if at is None else empty | Q(planned_date=day, planned_time__gte=at)


def _on_day_to(day: date, at: time | None) -> Q:
    return Q(planned_date=day) if at is None else Q(planned_date=day, planned_time__lte=at)


def _slots_from(first: tuple) -> Q:
    """Sessions in the time slot `first` or later."""
    return _on_day_from(*first) | Q(planned_date__gt=first[0])


def _slots_between(first: tuple, last: tuple) -> Q:
    """Sessions from the time slot `first` to `last`: within one day (most screens) a single
    range of the (status, day, time) index."""
    (first_day, first_at), (last_day, last_at) = first, last
    if first_day != last_day:
        return (
            _on_day_from(first_day, first_at)
            | Q(planned_date__gt=first_day, planned_date__lt=last_day)
            | _on_day_to(last_day, last_at)
        )
    if first_at is not None and last_at is not None:
        return Q(planned_date=first_day, planned_time__range=(first_at, last_at))
    return _on_day_from(first_day, first_at) & _on_day_to(last_day, last_at)


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
#
# What changes with every link opened or closed is kept on the rows where it happens
# (Plan.link_expires_at, ShareLink.last_opened_at and times_opened: planner/derived.py), so
# each list is a screen of one index, whatever the number of plans and links.

QUOTE_VALUES = (*plan_values(), "quoted_at", "link_expires_at")


def _presented():
    return Plan.objects.filter(status=PlanStatus.PRESENTED)


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


def _quote_row(row: dict, *, today: date, now: datetime, opened: dict) -> QuoteRow:
    quoted_on = timezone.localdate(row["quoted_at"]) if row["quoted_at"] else None
    # Plan.quote_valid_until's rule, on the row's values.
    valid_until = quoted_on + timedelta(days=settings.QUOTE_VALID_DAYS) if quoted_on else None
    live_until = row["link_expires_at"]
    return QuoteRow(
        plan=plan_ref(row),
        quoted_on=quoted_on,
        age_days=(today - quoted_on).days if quoted_on else None,
        valid_until=valid_until,
        # The last of the plan's open links, while it has not run out.
        link_expires_at=live_until if live_until and live_until > now else None,
        last_opened_at=opened.get(row["id"]),
        expired=valid_until is not None and valid_until < today,
    )


def quotes_waiting(*, today: date, page: str | None) -> WindowPage:
    """Presented plans not yet signed, oldest quote first: one query (the plans through the
    (status, quoted) index). Rows as values: see quote_lists."""
    # Every presented plan has a quote time (presenting freezes the quote), so where the
    # engines put empty ones (first or last) does not arise.
    return window_page(
        _presented().order_by("quoted_at", "id").values(*QUOTE_VALUES), page, PER_PAGE
    )


def quotes_expiring(*, today: date, page: str | None) -> WindowPage:
    """Presented plans that run out within EXPIRING_DAYS (by the end of that day), soonest
    first. A plan with a live signing link runs out when the last of them does (a link never
    outlives the quote: signing.actions._link_expiry); one without, at the end of its quote's
    last valid day (quotes already past it are in the waiting list, marked expired). Two
    queries, each a screen of an index in that order, merged here. Rows as values."""
    number = page_number(page)
    wanted = number * PER_PAGE + 1  # up to this page's last row, and one more
    now = timezone.now()
    valid = timedelta(days=settings.QUOTE_VALID_DAYS)
    until = _start_of(today + timedelta(days=EXPIRING_DAYS + 1))
    quoted_from = _start_of(today - valid)  # a quote past its last day: in the waiting list
    by_link = (
        _presented()
        .filter(link_expires_at__gt=now, link_expires_at__lt=until, quoted_at__gte=quoted_from)
        .order_by("link_expires_at", "quoted_at", "id")
        .values(*QUOTE_VALUES)[:wanted]
    )
    # The quote is valid through localdate(quoted_at) + valid: that day is today..today+7
    # when quoted_at falls in these local-day bounds.
    by_quote = (
        _presented()
        .filter(
            quoted_at__gte=quoted_from,
            quoted_at__lt=_start_of(today - valid + timedelta(days=EXPIRING_DAYS + 1)),
        )
        .exclude(link_expires_at__gt=now)
        .order_by("quoted_at", "id")
        .values(*QUOTE_VALUES)[:wanted]
    )

    def runs_out(row) -> tuple:
        if row["link_expires_at"] and row["link_expires_at"] > now:
            ends = row["link_expires_at"]
        else:  # the end of the quote's last valid day
            ends = _start_of(timezone.localdate(row["quoted_at"]) + valid + timedelta(days=1))
        return ends, row["quoted_at"], row["id"]

    rows = list(heapq.merge(list(by_link), list(by_quote), key=runs_out))
    start = (number - 1) * PER_PAGE
    if not rows[start:] and number > 1:
        return quotes_expiring(today=today, page="1")  # past the end: the first page
    return WindowPage(rows[start : start + PER_PAGE], number, len(rows) > start + PER_PAGE)


def quote_lists(
    *, today: date, waiting_page: str | None, expiring_page: str | None
) -> tuple[WindowPage, WindowPage]:
    """The two quote lists as QuoteRows, with when a link of each plan was last opened:
    three queries (one for the opening times of both lists' plans)."""
    waiting = quotes_waiting(today=today, page=waiting_page)
    expiring = quotes_expiring(today=today, page=expiring_page)
    plan_ids = {row["id"] for row in [*waiting, *expiring]}
    opened = {}
    if plan_ids:
        opened = dict(
            ShareLink.objects.filter(plan_id__in=plan_ids, last_opened_at__isnull=False)
            .order_by()
            .values("plan_id")
            .annotate(at=Max("last_opened_at"))
            .values_list("plan_id", "at")
        )
    convert = partial(_quote_row, today=today, now=timezone.now(), opened=opened)
    return waiting.map(convert), expiring.map(convert)


@dataclass(frozen=True)
class OpenedLink:
    plan: PlanRef
    last_opened_at: datetime
    times_opened: int
    expires_at: datetime
    locked_at: datetime | None


def links_opened_not_signed(*, page: str | None) -> WindowPage:
    """Links to a presented plan's current version that the patient opened and has not
    used (signed or declined), most recently opened first: one query, through the index of
    opened links still open (each row's plan checked as it is read)."""
    rows = (
        ShareLink.objects.filter(
            last_opened_at__isnull=False,
            used_at__isnull=True,
            revoked_at__isnull=True,
            plan_version=F("plan__version"),
        )
        .alias(plan_status=Unindexed("plan__status"))
        .filter(plan_status=PlanStatus.PRESENTED)
        .order_by("-last_opened_at", "-id")
        .values(
            "id",
            *plan_values("plan__"),
            "expires_at",
            "locked_at",
            "last_opened_at",
            "times_opened",
        )
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
        Plan.objects.alias(plan_status=Unindexed("status"))
        .filter(plan_status__in=AGREED, decided_at__gte=since)
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

    @property
    def outstanding(self) -> Decimal:
        return self.deposit_due - self.received


def deposits_due(*, page: str | None) -> WindowPage:
    """Accepted or in-progress plans whose patient's acceptance asked for a deposit and who
    paid less than it, longest waiting first: one query, a screen of OutstandingDeposit
    (kept by planner.signing.actions.deposit_outstanding_refresh) in its index's order."""
    rows = OutstandingDeposit.objects.order_by("accepted_at", "plan_id").values(
        *plan_values("plan__"), "accepted_at", "currency", "asked", "received"
    )

    def record(row) -> DepositDue:
        return DepositDue(
            plan=plan_ref(row, "plan__"),
            signed_at=row["accepted_at"],
            currency=row["currency"],
            deposit_due=row["asked"],
            received=row["received"],
        )

    return window_page(rows, page, PER_PAGE).map(record)
