"""Each report of the reports page as one table (the figures as words, and the same figures
as plain values for its CSV) and its charts. One builder per report, so the page and a CSV
download run the same queries and show the same figures."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clinic.formatting import format_money, format_money_range, format_month, plural
from planner.board import reports
from planner.board.charts import NARROW, BarChart, Row, render_bar_chart


@dataclass(frozen=True)
class Drawing:
    """One chart drawn twice: the page shows the one that fits its box (a container query)."""

    wide: str
    narrow: str


@dataclass(frozen=True)
class Report:
    slug: str
    heading: str
    explanation: str
    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    csv_headers: tuple[str, ...]
    csv_rows: list[tuple]
    charts: list[Drawing] = field(default_factory=list)
    summary: str = ""
    empty: str = "Nothing to show yet."


def _draw(chart: BarChart, *, id_prefix: str) -> Drawing:
    return Drawing(
        wide=render_bar_chart(chart, id_prefix=id_prefix),
        narrow=render_bar_chart(chart, id_prefix=f"{id_prefix}-narrow", width=NARROW),
    )


def _money_ticks(currency: str):
    return lambda value: format_money(value, currency)


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def pipeline_report(**_) -> Report:
    lines = reports.pipeline()
    charts = []
    for currency in sorted({line.currency for line in lines}):
        mine = [line for line in lines if line.currency == currency]
        chart = BarChart(
            title=f"Pipeline value by status, {currency}",
            description="; ".join(
                f"{line.status_label}: {plural(line.plans, 'plan')}, "
                f"{format_money_range(line.low, line.high, currency)}"
                for line in mine
            ),
            series=("sum of quote minimums", "up to the sum of maximums"),
            rows=tuple(
                Row(
                    line.status_label,
                    (line.low, line.high - line.low),
                    format_money_range(line.low, line.high, currency),
                )
                for line in mine
            ),
            tick_format=_money_ticks(currency),
        )
        charts.append(_draw(chart, id_prefix=f"pipeline-{currency}"))
    return Report(
        slug="pipeline",
        heading="Pipeline value by status",
        explanation=(
            "Plans with a frozen quote, by their status now: the sum of their quotes' "
            "minimums to the sum of their maximums. Each currency is added up on its own. "
            "A quote that prices nothing (no treatment in it had a price) has no value to add "
            "and is not counted."
        ),
        caption="Pipeline value by status",
        headers=("Status", "Plans", "Quoted value (minimum–maximum)"),
        rows=[
            (
                line.status_label,
                str(line.plans),
                format_money_range(line.low, line.high, line.currency),
            )
            for line in lines
        ],
        csv_headers=("status", "currency", "plans", "quote minimums", "quote maximums"),
        csv_rows=[
            (line.status_label, line.currency, line.plans, line.low, line.high) for line in lines
        ],
        charts=charts,
        empty="No plan has a frozen quote yet.",
    )


OUTCOME_LABELS = ("accepted", "declined", "still open", "withdrawn")


def conversion_report(*, today: date, **_) -> Report:
    figures = reports.conversion(today=today)
    months = figures.months
    chart = BarChart(
        title="Presented plans by month, and what became of them",
        description=(
            f"{plural(figures.presented, 'plan')} presented in the last "
            f"{reports.CONVERSION_MONTHS} months, {figures.accepted} accepted. "
            + "; ".join(
                f"{format_month(m.month)}: {m.presented} presented, {m.accepted} accepted, "
                f"{m.declined} declined, {m.open} still open, {m.withdrawn} withdrawn"
                for m in months
            )
        ),
        series=OUTCOME_LABELS,
        rows=tuple(
            Row(
                format_month(m.month),
                m.counts(),
                f"{m.accepted} of {m.presented} accepted" if m.presented else "none presented",
            )
            for m in months
        ),
    )
    if figures.median_days is None:
        summary = "No presented plan has been decided yet, so there is no median time."
    else:
        summary = (
            f"Median time from presentation to the patient's decision: "
            f"{figures.median_days} days (over {plural(figures.decided, 'decided plan')})."
        )
    return Report(
        slug="conversion",
        heading="Presented → accepted, last 12 months",
        explanation=(
            "Plans by the month they were presented (a plan presented again after repricing "
            "counts in the month of its latest presentation), and what became of them: "
            "accepted (including plans in progress, completed, or accepted and later "
            "cancelled), declined, still open, or withdrawn before the patient decided."
        ),
        caption="Presented plans by month and their outcome",
        headers=(
            "Month",
            "Presented",
            *(label.capitalize() for label in OUTCOME_LABELS),
            "Accepted of presented",
        ),
        rows=[
            (
                format_month(m.month),
                str(m.presented),
                *(str(c) for c in m.counts()),
                _percent(m.accepted, m.presented),
            )
            for m in months
        ],
        csv_headers=("month", "presented", *OUTCOME_LABELS),
        csv_rows=[(m.month.strftime("%Y-%m"), m.presented, *m.counts()) for m in months],
        charts=[_draw(chart, id_prefix="conversion")],
        summary=summary,
    )


def ahead_report(*, today: date, **_) -> Report:
    months = reports.ahead(today=today)
    currencies = sorted({c for m in months for c in m.value})
    charts = [
        _draw(
            BarChart(
                title="Sessions planned per month, next 6 months",
                description="; ".join(
                    f"{format_month(m.month)}: {plural(m.sessions, 'session')}" for m in months
                ),
                series=("sessions planned",),
                rows=tuple(
                    Row(format_month(m.month), (m.sessions,), plural(m.sessions, "session"))
                    for m in months
                ),
            ),
            id_prefix="ahead-sessions",
        )
    ]
    for currency in currencies:
        values = [m.value.get(currency, [0, Decimal(0), Decimal(0)]) for m in months]
        charts.append(
            _draw(
                BarChart(
                    title=f"Accepted value by month of first session, {currency}",
                    description="; ".join(
                        f"{format_month(m.month)}: {plural(v[0], 'plan')}, "
                        f"{format_money_range(v[1], v[2], currency)}"
                        for m, v in zip(months, values, strict=True)
                    ),
                    series=("sum of quote minimums", "up to the sum of maximums"),
                    rows=tuple(
                        Row(
                            format_month(m.month),
                            (v[1], v[2] - v[1]),
                            format_money_range(v[1], v[2], currency) if v[0] else "none",
                        )
                        for m, v in zip(months, values, strict=True)
                    ),
                    tick_format=_money_ticks(currency),
                ),
                id_prefix=f"ahead-value-{currency}",
            )
        )
    rows, csv_rows = [], []
    for m in months:
        value = "; ".join(
            f"{plural(plans, 'plan')}, {format_money_range(low, high, currency)}"
            for currency, (plans, low, high) in sorted(m.value.items())
        )
        rows.append((format_month(m.month), str(m.sessions), value or "none"))
        for currency, (plans, low, high) in sorted(m.value.items()) or [("", (0, "", ""))]:
            csv_rows.append((m.month.strftime("%Y-%m"), m.sessions, currency, plans, low, high))
    return Report(
        slug="ahead",
        heading="The next 6 months",
        explanation=(
            "Sessions still planned, by the month of their planned date; and accepted value: "
            "the frozen quotes of plans accepted and not yet started, counted in the month of "
            "each plan's first planned session."
        ),
        caption="Sessions planned and accepted value by month",
        headers=("Month", "Sessions planned", "Accepted plans starting (value)"),
        rows=rows,
        csv_headers=(
            "month",
            "sessions planned",
            "currency",
            "accepted plans starting",
            "value minimum",
            "value maximum",
        ),
        csv_rows=csv_rows,
        charts=charts,
    )


def _period_words(months: int) -> str:
    return f"the last {months} months"


def treatments_report(*, today: date, months: int, **_) -> Report:
    lines = reports.treatment_mix(today=today, months=months)
    chart = BarChart(
        title=f"Treatment mix, {_period_words(months)}",
        description="; ".join(
            f"{line.name}: {plural(line.count, 'course')}, {plural(line.sessions, 'session')}"
            for line in lines
        ),
        series=("courses",),
        rows=tuple(Row(line.name, (line.count,), plural(line.count, "course")) for line in lines),
    )
    return Report(
        slug="treatments",
        heading="Treatment mix",
        explanation=(
            f"Courses by treatment, in plans presented in {_period_words(months)} and accepted "
            "since (accepted, in progress or completed)."
        ),
        caption=f"Courses by treatment, {_period_words(months)}",
        headers=("Treatment", "Courses", "Sessions"),
        rows=[(line.name, str(line.count), str(line.sessions)) for line in lines],
        csv_headers=("treatment", "courses", "sessions"),
        csv_rows=[(line.name, line.count, line.sessions) for line in lines],
        charts=[_draw(chart, id_prefix="treatments")] if lines else [],
        empty="No accepted plan was presented in this period.",
    )


def products_report(*, today: date, months: int, **_) -> Report:
    lines = reports.products_used(today=today, months=months)
    chart = BarChart(
        title=f"Products used, {_period_words(months)}",
        description="; ".join(f"{line.name}: {plural(line.count, 'session')}" for line in lines),
        series=("sessions performed",),
        rows=tuple(Row(line.name, (line.count,), plural(line.count, "session")) for line in lines),
    )
    return Report(
        slug="products",
        heading="Products used",
        explanation=(
            f"Sessions performed in {_period_words(months)}, by the product of the lot used."
        ),
        caption=f"Sessions performed by product, {_period_words(months)}",
        headers=("Product", "Sessions performed"),
        rows=[(line.name, str(line.count)) for line in lines],
        csv_headers=("product", "sessions performed"),
        csv_rows=[(line.name, line.count) for line in lines],
        charts=[_draw(chart, id_prefix="products")] if lines else [],
        empty="No session with a product was performed in this period.",
    )


SESSION_LABELS = ("performed", "no-show", "cancelled", "not recorded")


def sessions_report(*, today: date, months: int, **_) -> Report:
    by_month = reports.session_outcomes(today=today, months=months)
    chart = BarChart(
        title=f"Sessions by outcome, {_period_words(months)}",
        description="; ".join(
            f"{format_month(m.month)}: "
            + ", ".join(f"{n} {label}" for n, label in zip(m.values(), SESSION_LABELS, strict=True))
            for m in by_month
        ),
        series=SESSION_LABELS,
        rows=tuple(
            Row(
                format_month(m.month), m.values(), f"{m.values()[0]} of {sum(m.values())} performed"
            )
            for m in by_month
        ),
    )
    return Report(
        slug="sessions",
        heading="Sessions performed, no-shows and cancellations",
        explanation=(
            f"Sessions planned in {_period_words(months)} up to today, by month and what "
            "happened: performed, no-show, cancelled, or still marked planned for a day that "
            "has passed (not recorded)."
        ),
        caption=f"Sessions by month and outcome, {_period_words(months)}",
        headers=("Month", *(label.capitalize() for label in SESSION_LABELS), "Total"),
        rows=[
            (format_month(m.month), *(str(n) for n in m.values()), str(sum(m.values())))
            for m in by_month
        ],
        csv_headers=("month", *SESSION_LABELS),
        csv_rows=[(m.month.strftime("%Y-%m"), *m.values()) for m in by_month],
        charts=[_draw(chart, id_prefix="sessions")],
    )


BUILDERS = {
    "pipeline": pipeline_report,
    "conversion": conversion_report,
    "ahead": ahead_report,
    "treatments": treatments_report,
    "products": products_report,
    "sessions": sessions_report,
}
