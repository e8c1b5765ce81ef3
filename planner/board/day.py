"""The day board's reads: the sessions of the coming days with what blocks them, the quotes
waiting for the patient, links about to run out or opened and left, recent acceptances and
the deposits still due. Reads only.

Every list is one page of an ordered query (planner.pagination.window_page, no COUNT), and
costs a fixed number of queries whatever the number of rows: the sessions' blocking checks
reuse the point-of-use rule (clinic.lots.rules) over the cached catalog's lots and readings,
and the consent rule (planner.signing.selectors) over the catalog's consent documents and
one read of the consents the page's plans signed."""

import heapq
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db.models import (
    DateField,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    TimeField,
)
from django.utils import timezone

from clinic.catalog_cache import (
    Catalog,
    catalog_for,
    lots_by_id,
    token_annotation,
    treatment_of,
)
from clinic.lots.rules import point_of_use_problems
from clinic.models import ProductLot
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.models import Plan, PlanStatus
from planner.pagination import WindowPage, page_number, window_page
from planner.prepared import Bound, Param, Params, Prepared
from planner.query_hints import Unindexed
from planner.signing.models import DepositBalance, ShareLink, SignedConsent, SignedRecord
from planner.signing.selectors import (
    consents_needed,
    consents_not_signed,
)

PER_PAGE = 20
STATUS_LABELS = dict(PlanStatus.choices)
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
    "course_id",
    "course__sessions",
    "course__treatment_id",
    "planned_lot_id",
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
        return STATUS_LABELS[self.status]


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


def _planned_lot(lot: ProductLot) -> PlannedLot:
    return PlannedLot(
        lot_number=lot.lot_number,
        status=lot.status,
        received_on=lot.received_on,
        expires_on=lot.expires_on,
        storage_reviewed_through=lot.storage_reviewed_through,
        product_name=lot.product.name,
        storage_min_celsius=lot.product.storage_min_celsius,
        storage_max_celsius=lot.product.storage_max_celsius,
    )


def _screen_lots(lot_ids: set[int], catalog: Catalog) -> dict[int, tuple[PlannedLot, list]]:
    """The screen's lots with their products and storage readings (clinic.catalog_cache:
    from the cached catalog, a query only for a lot expired or discarded since planned)."""
    return {
        pk: (_planned_lot(lot), list(lot.storage_checks.all()))
        for pk, lot in lots_by_id(catalog, lot_ids).items()
    }


def sessions_ahead(*, today: date, page: str | None) -> WindowPage:
    """Open (planned) sessions from today to HORIZON_DAYS ahead, by day and time, each with
    its blocking warnings. Three queries: the screen's time slots, the sessions (each with
    its course's size and treatment, and the catalog's version) and the consents the page's
    plans signed; the treatments, consent documents and lots (with products and storage
    readings) come from the cached catalog (clinic.catalog_cache), and a lot it does not
    hold (expired or discarded since it was planned) costs a query more."""
    # Within a time slot the sessions go by patient name, which no index of sessions holds:
    # sorted as they were, a whole day of a clinic chain's sessions (hundreds) was read and
    # joined for one screen. The time slots of the rows up to this screen's end (and the one
    # after it, which tells whether there is a next page), read from the (status, day, time)
    # index alone, narrow the sessions read to this screen's slots.
    number = page_number(page)
    start, end = (number - 1) * PER_PAGE, number * PER_PAGE + 1
    slots = [
        (row["planned_date"], row["planned_time"])
        for row in SESSION_SLOTS.bind(first=today, last=today + horizon())[:end]
    ]
    if len(slots) <= start:  # past the end (an old link): the first page
        return sessions_ahead(today=today, page="1") if number > 1 else WindowPage([], 1, False)
    first, last = slots[start], slots[-1] if len(slots) == end else None
    rows = _sessions_in_slots(first, last, until=today + horizon())
    skip = start - slots.index(first)  # the screen's first slot began on the page before
    found = list(rows[skip : skip + PER_PAGE + 1])
    result = WindowPage(found[:PER_PAGE], number, len(found) > PER_PAGE)
    sessions = result.object_list
    if not sessions:
        return result
    catalog = catalog_for(sessions[0]["catalog_token"])
    lots = _screen_lots({s["planned_lot_id"] for s in sessions} - {None}, catalog)
    documents = catalog.consent_documents
    signed: dict[int, set[int]] = {}
    for row in CONSENTS_SIGNED.bind(plans={s["plan_id"] for s in sessions}).all():
        signed.setdefault(row["record__plan_id"], set()).add(row["document_id"])

    def session_row(s: dict) -> SessionRow:
        lot, readings = lots.get(s["planned_lot_id"], (None, []))
        treatment = treatment_of(catalog, s["course__treatment_id"])
        return SessionRow(
            pk=s["id"],
            plan_id=s["plan_id"],
            number=s["number"],
            planned_date=s["planned_date"],
            planned_time=s["planned_time"],
            needs_lot=s["needs_lot"],
            patient_name=s["plan__patient__full_name"],
            treatment_name=treatment.name,
            course_sessions=s["course__sessions"],
            lot=lot,
            blocking=_blocking(
                lot,
                readings,
                s["planned_date"],
                consents_needed(documents, {treatment.kind}),
                signed.get(s["plan_id"], set()),
            ),
        )

    return result.map(session_row)


SLOT_ORDER = ("planned_date", F("planned_time").asc(nulls_last=True))
SESSION_SLOTS = Prepared(
    lambda: (
        TreatmentSession.objects.filter(
            status=SessionStatus.PLANNED,
            planned_date__gte=Param("first", DateField()),
            planned_date__lte=Param("last", DateField()),
        )
        .order_by(*SLOT_ORDER)
        .values("planned_date", "planned_time")
    )
)


def _sessions_in_slots(first: tuple, last: tuple | None, *, until: date) -> Bound:
    """The planned sessions from the time slot `first` to `last` (None: to `until`, the
    last screen), in the list's order, to be sliced. A slot is a (day, time) pair; sessions
    with no time set come last in their day. The slots alone bound the days (given the
    horizon's bounds too, SQLite read the whole of the first day); a screen within one
    day's timed sessions (most screens) is one range of the (status, day, time) index."""
    (first_day, first_at), (last_day, last_at) = first, last or (until, None)
    shape = (last is None, first_day == last_day, first_at is None, last_at is None)
    values = {"first_day": first_day, "first_at": first_at, "last_day": last_day}
    values["last_at"] = last_at
    if shape not in _SLOT_QUERIES:
        _SLOT_QUERIES[shape] = Prepared(partial(_slot_query, *shape))
    return _SLOT_QUERIES[shape].bind(
        **{name: value for name, value in values.items() if value is not None}
    )


_SLOT_QUERIES: dict[tuple, Prepared] = {}  # one per shape of the bounds


def _id(path: str) -> ExpressionWrapper:
    """A foreign key's column as a plain number, so `__in` takes placeholders (a relation's
    own lookup converts each value to an id first)."""
    return ExpressionWrapper(F(path), output_field=IntegerField())


CONSENTS_SIGNED = Prepared(
    lambda: (
        SignedConsent.objects.alias(plan_key=_id("record__plan_id"))
        .filter(
            plan_key__in=Params("plans", IntegerField(), PER_PAGE),
            record__decision=SignedRecord.Decision.ACCEPTED,
        )
        .order_by()  # a set per plan: no order needed
        .values("record__plan_id", "document_id")
    )
)


def _slot_query(to_the_end: bool, one_day: bool, first_untimed: bool, last_untimed: bool):
    first_day, last_day = Param("first_day", DateField()), Param("last_day", DateField())
    first_at = None if first_untimed else Param("first_at", TimeField())
    last_at = None if last_untimed else Param("last_at", TimeField())
    if one_day and first_at is not None and last_at is not None:
        slots = Q(planned_date=first_day, planned_time__gte=first_at, planned_time__lte=last_at)
    elif one_day:
        slots = _on_day_from(first_day, first_at) & _on_day_to(last_day, last_at)
    else:
        slots = (
            _on_day_from(first_day, first_at)
            | Q(planned_date__gt=first_day, planned_date__lt=last_day)
            | _on_day_to(last_day, last_at)
        )
    if to_the_end:  # bounded below too, or SQLite reads the days before
        slots &= Q(planned_date__gte=first_day, planned_date__lte=last_day)
    return (
        TreatmentSession.objects.filter(slots, status=SessionStatus.PLANNED)
        .annotate(catalog_token=token_annotation())
        .order_by(*SLOT_ORDER, "plan__patient__full_name", "id")
        .values(*SESSION_VALUES, "catalog_token")
    )


def _on_day_from(day, at) -> Q:
    empty = Q(planned_date=day, planned_time__isnull=True)
    return empty if at is None else empty | Q(planned_date=day, planned_time__gte=at)


def _on_day_to(day, at) -> Q:
    return Q(planned_date=day) if at is None else Q(planned_date=day, planned_time__lte=at)


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

QUOTE_VALUES = (*plan_values(), "quoted_at", "link_expires_at", "last_opened_at")


def _presented():
    """Presented plans, each with when a link of it was last opened: read with the screen's
    rows (a subquery per row shown, through the links' plan index), not as a query of its own
    over both lists' plans."""
    last_opened = (
        ShareLink.objects.filter(plan_id=OuterRef("id"))
        .order_by()
        .values("plan_id")
        .annotate(at=Max("last_opened_at"))
        .values("at")
    )
    return Plan.objects.filter(status=PlanStatus.PRESENTED).annotate(
        last_opened_at=Subquery(last_opened)
    )


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


def _quote_row(row: dict, *, today: date, now: datetime) -> QuoteRow:
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
        last_opened_at=row["last_opened_at"],
        expired=valid_until is not None and valid_until < today,
    )


def quotes_waiting(*, today: date, page: str | None) -> WindowPage:
    """Presented plans not yet signed, oldest quote first: one query (the plans through the
    (status, quoted) index). Rows as values: see quote_lists."""
    # Every presented plan has a quote time (presenting freezes the quote), so where the
    # engines put empty ones (first or last) does not arise.
    return window_page(QUOTES_WAITING.bind(), page, PER_PAGE)


QUOTES_WAITING = Prepared(lambda: _presented().order_by("quoted_at", "id").values(*QUOTE_VALUES))
# Plans with a live link running out by `until`, by when it does.
QUOTES_BY_LINK = Prepared(
    lambda: (
        _presented()
        .filter(
            link_expires_at__gt=Param("now", DateTimeField()),
            link_expires_at__lt=Param("until", DateTimeField()),
            quoted_at__gte=Param("quoted_from", DateTimeField()),
        )
        .order_by("link_expires_at", "quoted_at", "id")
        .values(*QUOTE_VALUES)
    )
)
# Plans with no live link, quoted between these times, by their quote's last valid day.
QUOTES_BY_QUOTE = Prepared(
    lambda: (
        _presented()
        .filter(
            quoted_at__gte=Param("quoted_from", DateTimeField()),
            quoted_at__lt=Param("quoted_before", DateTimeField()),
        )
        .exclude(link_expires_at__gt=Param("now", DateTimeField()))
        .order_by("quoted_at", "id")
        .values(*QUOTE_VALUES)
    )
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
    by_link = QUOTES_BY_LINK.bind(now=now, until=until, quoted_from=quoted_from)[:wanted]
    # The quote is valid through localdate(quoted_at) + valid: that day is today..today+7
    # when quoted_at falls in these local-day bounds.
    quoted_before = _start_of(today - valid + timedelta(days=EXPIRING_DAYS + 1))
    by_quote = QUOTES_BY_QUOTE.bind(quoted_from=quoted_from, quoted_before=quoted_before, now=now)[
        :wanted
    ]

    def runs_out(row) -> tuple:
        if row["link_expires_at"] and row["link_expires_at"] > now:
            ends = row["link_expires_at"]
        else:  # the end of the quote's last valid day
            ends = _start_of(timezone.localdate(row["quoted_at"]) + valid + timedelta(days=1))
        return ends, row["quoted_at"], row["id"]

    rows = list(heapq.merge(by_link, by_quote, key=runs_out))
    start = (number - 1) * PER_PAGE
    if not rows[start:] and number > 1:
        return quotes_expiring(today=today, page="1")  # past the end: the first page
    return WindowPage(rows[start : start + PER_PAGE], number, len(rows) > start + PER_PAGE)


def quote_lists(
    *, today: date, waiting_page: str | None, expiring_page: str | None
) -> tuple[WindowPage, WindowPage]:
    """The two quote lists as QuoteRows, with when a link of each plan was last opened:
    three queries."""
    waiting = quotes_waiting(today=today, page=waiting_page)
    expiring = quotes_expiring(today=today, page=expiring_page)
    convert = partial(_quote_row, today=today, now=timezone.now())
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
    return window_page(LINKS_OPENED.bind(), page, PER_PAGE).map(partial(_record, OpenedLink))


LINKS_OPENED = Prepared(
    lambda: (
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
)


# Acceptances and deposits ------------------------------------------------------------------
#
# What each acceptance asked and what came in is kept in DepositBalance (planner.signing.
# actions.deposit_balance_refresh): each list is one query, a screen of an index.

BALANCE_VALUES = (
    "deposit_balance__asked",
    "deposit_balance__received",
    "deposit_balance__currency",
)


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
        return (self.deposit_asked or ZERO) - self.deposit_received


def recently_accepted(*, today: date, page: str | None) -> WindowPage:
    """Plans accepted in the last RECENT_DAYS days (their decision time, which the accepting
    transition stamps whether staff or the patient's signature accepted) and still agreed,
    newest first, with their deposit: one query (the plans through the decision-time index,
    each with its deposit balance), whatever the number of plans."""
    since = _start_of(today - timedelta(days=RECENT_DAYS))
    plans = RECENTLY_ACCEPTED.bind(since=since)

    def accepted(row) -> Accepted:
        asked, received, currency = (row[name] for name in BALANCE_VALUES)
        return Accepted(plan_ref(row), row["decided_at"], asked, received or ZERO, currency or "")

    return window_page(plans, page, PER_PAGE).map(accepted)


RECENTLY_ACCEPTED = Prepared(
    lambda: (
        Plan.objects.alias(plan_status=Unindexed("status"))
        .filter(plan_status__in=AGREED, decided_at__gte=Param("since", DateTimeField()))
        .order_by("-decided_at", "-id")
        .values(*plan_values(), "decided_at", *BALANCE_VALUES)
    )
)


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
    paid less than it, longest waiting first: one query, a screen of the owed balances in
    their index's order."""
    rows = DEPOSITS_OWED.bind()

    def record(row) -> DepositDue:
        return DepositDue(
            plan=plan_ref(row, "plan__"),
            signed_at=row["owed_since"],
            currency=row["currency"],
            deposit_due=row["asked"],
            received=row["received"],
        )

    return window_page(rows, page, PER_PAGE).map(record)


DEPOSITS_OWED = Prepared(
    lambda: (
        DepositBalance.objects.filter(owed_since__isnull=False)
        .order_by("owed_since", "plan_id")
        .values(*plan_values("plan__"), "owed_since", "currency", "asked", "received")
    )
)
