"""The clinic's numbers, read with database aggregation: a fixed number of queries whatever
the size of the database, each grouped by the database (never a Python loop over plans).

Definitions (the reports page states them too):

- Pipeline: plans with a frozen quote, by status and currency: how many, and the sum of
  their quotes' minimums and maximums (Plan.quote_low / quote_high, copied from the frozen
  quote). Different currencies are never added together.
- Conversion: plans by the month they were presented (Plan.quoted_at, the last time the
  quote was frozen), and what became of them: accepted (accepted, in progress, completed, or
  accepted and later cancelled), declined, still open (presented), or withdrawn (cancelled
  before the patient decided). The median days from presentation to decision
  (Plan.decided_at) is over the plans decided among those.
- Ahead: session records still planned, by month of their planned date; and accepted value,
  the quotes of plans accepted and not started yet, by the month of their first planned
  session.
- Period figures (the last N months up to today): the courses of plans presented in the
  period and accepted since, by treatment; performed sessions by the product of the lot
  used; and sessions planned in the period by what happened to them."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from planner.models import Course, Plan, PlanStatus, SessionStatus, TreatmentSession

PERIODS = (3, 6, 12, 24)
DEFAULT_PERIOD = 12
CONVERSION_MONTHS = 12
AHEAD_MONTHS = 6

ACCEPTED_STATUSES = (PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)
OUTCOMES = ("accepted", "declined", "open", "withdrawn")
SESSION_OUTCOMES = (
    SessionStatus.PERFORMED,
    SessionStatus.NO_SHOW,
    SessionStatus.CANCELLED,
    SessionStatus.PLANNED,
)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_starts(first: date, count: int) -> list[date]:
    return [add_months(first, i) for i in range(count)]


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month(value) -> date:
    """TruncMonth gives a date for a date and an aware datetime for a datetime."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def month_index(field_name: str, months: list[date], *, aware: bool) -> Case:
    """Which of `months` the row's `field_name` falls in (0, 1, ...), as a CASE over the
    month boundaries. Not TruncMonth: on SQLite that is a Python function called for every
    row (600 ms over the 12 months of the bench's large database); this is plain SQL."""
    whens = []
    for i, month in enumerate(months):
        end = add_months(month, 1)
        whens.append(When(**{f"{field_name}__lt": _aware(end) if aware else end}, then=Value(i)))
    return Case(*whens, default=Value(-1), output_field=IntegerField())


@dataclass(frozen=True)
class PipelineLine:
    status: str
    currency: str
    plans: int
    low: Decimal
    high: Decimal

    @property
    def status_label(self) -> str:
        return PlanStatus(self.status).label


def pipeline() -> list[PipelineLine]:
    """One query: plans with a frozen, priced quote by status and currency."""
    rows = (
        Plan.objects.filter(quote_currency__isnull=False)
        .values("status", "quote_currency")
        # Count("status"), not "id": every column read is in plan_pipeline_idx, so
        # PostgreSQL answers from the index alone (SQLite's rowid is in every index).
        .annotate(plans=Count("status"), low=Sum("quote_low"), high=Sum("quote_high"))
        .order_by()
    )
    order = {status: i for i, status in enumerate(PlanStatus.values)}
    lines = [
        PipelineLine(
            status=r["status"],
            currency=r["quote_currency"],
            plans=r["plans"],
            low=Decimal(r["low"] or 0).quantize(Decimal("0.01")),
            high=Decimal(r["high"] or 0).quantize(Decimal("0.01")),
        )
        for r in rows
    ]
    return sorted(lines, key=lambda line: (line.currency, order[line.status]))


@dataclass
class ConversionMonth:
    month: date
    accepted: int = 0
    declined: int = 0
    open: int = 0
    withdrawn: int = 0

    @property
    def presented(self) -> int:
        return self.accepted + self.declined + self.open + self.withdrawn

    def counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, outcome) for outcome in OUTCOMES)


@dataclass
class Conversion:
    months: list[ConversionMonth]
    decided: int  # plans with a recorded decision among those presented in the window
    median_days: Decimal | None  # None when nothing was decided

    @property
    def presented(self) -> int:
        return sum(m.presented for m in self.months)

    @property
    def accepted(self) -> int:
        return sum(m.accepted for m in self.months)


_OUTCOME = Case(
    When(status__in=ACCEPTED_STATUSES, then=Value("accepted")),
    When(status=PlanStatus.DECLINED, then=Value("declined")),
    When(status=PlanStatus.PRESENTED, then=Value("open")),
    # Only an accepted plan can be cancelled after a decision: a declined one goes back to
    # draft first, which clears decided_at.
    When(status=PlanStatus.CANCELLED, decided_at__isnull=False, then=Value("accepted")),
    When(status=PlanStatus.CANCELLED, then=Value("withdrawn")),
    default=Value(""),
    output_field=CharField(),
)


def conversion(*, today: date) -> Conversion:
    """Two queries: the outcomes by month of presentation and the number decided, then the
    median days to a decision as the middle of the decided plans ordered by that time (one or
    two rows at the middle offset): SQLite has no median aggregate, and this keeps the work in
    the database whatever the number of plans."""
    first = add_months(today, 1 - CONVERSION_MONTHS)
    starts = month_starts(first, CONVERSION_MONTHS)
    # Every status but draft (a draft has no quote): the status index then serves the range.
    presented = Plan.objects.filter(
        status__in=[s for s in PlanStatus.values if s != PlanStatus.DRAFT],
        quoted_at__gte=_aware(first),
    )
    decided_here = Q(decided_at__isnull=False, decided_at__gte=F("quoted_at"))
    rows = (
        presented.annotate(month=month_index("quoted_at", starts, aware=True), outcome=_OUTCOME)
        .values("month", "outcome")
        # Count an indexed, never-null column: PostgreSQL then reads plan_quoted_idx alone.
        .annotate(plans=Count("status"), decided=Count("status", filter=decided_here))
        .order_by()
    )
    months = [ConversionMonth(month=m) for m in starts]
    count = 0
    for r in rows:
        if r["month"] >= 0 and r["outcome"]:
            month = months[r["month"]]
            setattr(month, r["outcome"], getattr(month, r["outcome"]) + r["plans"])
            count += r["decided"]
    median = None
    if count:
        waits = list(
            presented.filter(decided_here)
            .annotate(
                wait=ExpressionWrapper(
                    F("decided_at") - F("quoted_at"), output_field=DurationField()
                )
            )
            .order_by("wait")  # ties are equal waits: no tie-break needed (nor the rows)
            .values_list("wait", flat=True)[(count - 1) // 2 : count // 2 + 1]
        )
        seconds = sum(w.total_seconds() for w in waits) / len(waits)
        median = (Decimal(seconds) / 86400).quantize(Decimal("0.1"))
    return Conversion(months=months, decided=count, median_days=median)


@dataclass
class AheadMonth:
    month: date
    sessions: int = 0
    # currency -> [plans, low, high]
    value: dict[str, list] = field(default_factory=dict)


def ahead(*, today: date) -> list[AheadMonth]:
    """Two queries: planned sessions by month, and accepted value by month of each accepted
    plan's first planned session (TruncMonth there: it reads accepted plans only)."""
    first = add_months(today, 0)
    end = add_months(today, AHEAD_MONTHS)
    months = {m: AheadMonth(month=m) for m in month_starts(first, AHEAD_MONTHS)}
    starts = list(months)
    planned = TreatmentSession.objects.filter(
        status=SessionStatus.PLANNED, planned_date__gte=first, planned_date__lt=end
    )
    sessions = (
        planned.annotate(month=month_index("planned_date", starts, aware=False))
        .values("month")
        .annotate(sessions=Count("status"))
        .order_by()
    )
    for r in sessions:
        months[starts[r["month"]]].sessions = r["sessions"]
    first_session = (
        TreatmentSession.objects.filter(plan=OuterRef("pk"))
        .order_by("planned_date")
        .values("planned_date")[:1]
    )
    value = (
        Plan.objects.filter(status=PlanStatus.ACCEPTED)
        .filter(quote_currency__isnull=False)
        .annotate(first=Subquery(first_session))
        .filter(first__gte=first, first__lt=end)
        .annotate(month=TruncMonth("first"))
        .values("month", "quote_currency")
        .annotate(plans=Count("id"), low=Sum("quote_low"), high=Sum("quote_high"))
        .order_by()
    )
    for r in value:
        months[_month(r["month"])].value[r["quote_currency"]] = [
            r["plans"],
            Decimal(r["low"] or 0).quantize(Decimal("0.01")),
            Decimal(r["high"] or 0).quantize(Decimal("0.01")),
        ]
    return list(months.values())


@dataclass(frozen=True)
class Counted:
    name: str
    count: int
    sessions: int = 0


def period_start(*, today: date, months: int) -> date:
    return add_months(today, 1 - months)


def treatment_mix(*, today: date, months: int) -> list[Counted]:
    """One query: courses (and their sessions) by treatment, in plans presented in the period
    and accepted since."""
    rows = (
        Course.objects.filter(
            plan__quoted_at__gte=_aware(period_start(today=today, months=months)),
            plan__status__in=ACCEPTED_STATUSES,
        )
        .values("treatment__name")
        .annotate(courses=Count("id"), sessions=Sum("sessions"))
        .order_by("-courses", "treatment__name")
    )
    return [Counted(r["treatment__name"], r["courses"], r["sessions"] or 0) for r in rows]


def products_used(*, today: date, months: int) -> list[Counted]:
    """One query: sessions performed in the period by the product of the lot used."""
    rows = (
        TreatmentSession.objects.filter(
            status=SessionStatus.PERFORMED,
            performed_on__gte=period_start(today=today, months=months),
            performed_on__lte=today,
            lot_used__isnull=False,
        )
        .values("lot_used__product__manufacturer", "lot_used__product__name")
        .annotate(sessions=Count("id"))
        .order_by("-sessions", "lot_used__product__name")
    )
    return [
        Counted(
            f"{r['lot_used__product__name']} ({r['lot_used__product__manufacturer']})",
            r["sessions"],
        )
        for r in rows
    ]


@dataclass
class OutcomeMonth:
    month: date
    counts: dict[str, int] = field(default_factory=dict)

    def values(self) -> tuple[int, ...]:
        return tuple(self.counts.get(s, 0) for s in SESSION_OUTCOMES)


def session_outcomes(*, today: date, months: int) -> list[OutcomeMonth]:
    """One query: sessions planned in the period up to today, by month and status (a session
    still "planned" for a past day is one nobody recorded)."""
    first = period_start(today=today, months=months)
    starts = month_starts(first, months)
    by_month = [OutcomeMonth(month=m) for m in starts]
    rows = (
        TreatmentSession.objects.filter(planned_date__gte=first, planned_date__lte=today)
        .annotate(month=month_index("planned_date", starts, aware=False))
        .values("month", "status")
        .annotate(sessions=Count("status"))
        .order_by()
    )
    for r in rows:
        by_month[r["month"]].counts[r["status"]] = r["sessions"]
    return by_month
