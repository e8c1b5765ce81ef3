"""The report figures on the worked example (conftest.py), worked out by hand."""

from datetime import date
from decimal import Decimal

from clinic.catalog_seed import LASER, MICRONEEDLING
from planner import actions
from planner.board import reports
from planner.models import PlanStatus
from tests.factories.planner import make_plan
from tests.planner.board.example import TODAY

D = Decimal


def test_pipeline_sums_quotes_by_status_and_never_mixes_currencies(worked_example):
    lines = {(line.status, line.currency): line for line in reports.pipeline()}
    figures = {key: (line.plans, line.low, line.high) for key, line in lines.items()}
    assert figures == {
        ("presented", "EUR"): (1, D("500.00"), D("700.00")),
        ("presented", "USD"): (1, D("600.00"), D("1500.00")),
        ("accepted", "USD"): (2, D("3000.00"), D("5000.00")),
        ("completed", "USD"): (1, D("3000.00"), D("6000.00")),
        ("declined", "USD"): (1, D("600.00"), D("1500.00")),
        ("cancelled", "USD"): (2, D("700.00"), D("1700.00")),
    }


def test_conversion_by_month_of_presentation(worked_example):
    figures = reports.conversion(today=TODAY)
    months = {m.month: m.counts() for m in figures.months}  # accepted, declined, open, withdrawn
    assert len(figures.months) == 12
    assert figures.months[0].month == date(2025, 7, 1)
    assert months[date(2026, 1, 1)] == (1, 0, 0, 0)
    assert months[date(2026, 3, 1)] == (1, 0, 0, 1)
    assert months[date(2026, 5, 1)] == (1, 1, 0, 0)
    assert months[date(2026, 6, 1)] == (0, 0, 2, 0)
    assert sum(sum(c) for c in months.values()) == 7  # the 2025-05 plan is out of the window
    assert (figures.presented, figures.accepted) == (7, 3)


def test_median_days_to_decision_is_the_middle_of_the_decided_plans(worked_example):
    figures = reports.conversion(today=TODAY)
    # Decided in the window after 2, 4, 8 and 10 days: the median is (4 + 8) / 2.
    assert figures.decided == 4
    assert figures.median_days == D("6.0")


def test_median_of_an_odd_count_is_the_middle_one(worked_example):
    worked_example["declined"].delete()  # leaves 2, 4 and 8 days
    assert reports.conversion(today=TODAY).median_days == D("4.0")


def test_no_decision_means_no_median(db):
    figures = reports.conversion(today=TODAY)
    assert (figures.decided, figures.median_days, figures.presented) == (0, None, 0)


def test_sessions_and_accepted_value_ahead(worked_example):
    months = reports.ahead(today=TODAY)
    assert [m.month for m in months] == [date(2026, m, 1) for m in range(6, 12)]
    assert [m.sessions for m in months] == [2, 2, 1, 0, 0, 0]
    # The accepted plan starts in June (its first session record, cancelled since, is on 10
    # June); the older one in July. Completed and cancelled plans are not "accepted value".
    assert months[0].value == {"USD": [1, D("2000.00"), D("4000.00")]}
    assert months[1].value == {"USD": [1, D("1000.00"), D("1000.00")]}
    assert all(not m.value for m in months[2:])


def test_treatment_mix_counts_courses_of_accepted_plans_presented_in_the_period(
    worked_example, catalog
):
    lines = reports.treatment_mix(today=TODAY, months=12)
    mix = {line.name: (line.count, line.sessions) for line in lines}
    # The accepted plan (5 sessions) and the completed one (2 + 2); not the cancelled one, nor
    # the accepted plan presented before the period (the injectable).
    assert mix == {catalog[MICRONEEDLING].name: (2, 7), catalog[LASER].name: (1, 2)}


def test_products_used_counts_performed_sessions_by_product(worked_example):
    assert reports.products_used(today=TODAY, months=12) == [
        reports.Counted("=HYPERLINK(evil) (+Maker)", 2)
    ]
    assert reports.products_used(today=TODAY, months=3) == []  # performed in Jan and Feb


def test_session_outcomes_by_month(worked_example):
    by_month = {m.month: m.values() for m in reports.session_outcomes(today=TODAY, months=6)}
    # performed, no-show, cancelled, not recorded
    assert by_month == {
        date(2026, 1, 1): (1, 0, 0, 0),
        date(2026, 2, 1): (1, 1, 0, 0),
        date(2026, 3, 1): (1, 0, 0, 0),
        date(2026, 4, 1): (0, 0, 0, 0),
        date(2026, 5, 1): (0, 0, 0, 0),
        date(2026, 6, 1): (0, 0, 1, 1),
    }


def test_freezing_the_quote_fills_the_report_columns_and_repricing_clears_them(
    catalog, patient, clinician
):
    plan = make_plan(patient, catalog[MICRONEEDLING], sessions=3)
    plan = actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=plan.version
    )
    plan.refresh_from_db()
    assert plan.quote_low == D(plan.quote["total_min"])
    assert plan.quote_high == D(plan.quote["total_max"])
    assert plan.quote_currency == plan.quote["currency"]
    assert plan.decided_at is None
    plan = actions.plan_transition(
        plan=plan, to_status=PlanStatus.DECLINED, user=clinician, expected_version=plan.version
    )
    plan.refresh_from_db()
    assert plan.decided_at is not None and plan.decided_at >= plan.quoted_at
    assert plan.quote_low == D(plan.quote["total_min"])
    plan = actions.plan_transition(
        plan=plan, to_status=PlanStatus.DRAFT, user=clinician, expected_version=plan.version
    )
    plan.refresh_from_db()
    assert (plan.quote, plan.quote_low, plan.quote_high, plan.quote_currency) == (
        None,
        None,
        None,
        None,
    )
    assert plan.decided_at is None


def test_a_quote_that_prices_nothing_is_left_out_of_the_pipeline_and_the_page_says_so(catalog):
    """A presented plan whose every treatment lacks a price has a frozen quote with no
    value: the pipeline cannot add it, and its explanation must not claim every plan with a
    frozen quote is in it (staff counting their presented plans would find one missing)."""
    from planner.board.report_tables import pipeline_report
    from planner.models import quote_columns
    from tests.factories.planner import PlanFactory

    unpriced = {"total_min": None, "total_max": None, "currency": None}
    PlanFactory(status=PlanStatus.PRESENTED, quote=unpriced, **quote_columns(unpriced))
    priced = {"total_min": "600", "total_max": "1500", "currency": "USD"}
    PlanFactory(status=PlanStatus.PRESENTED, quote=priced, **quote_columns(priced))

    assert [(line.status, line.plans) for line in reports.pipeline()] == [("presented", 1)]
    explanation = pipeline_report().explanation
    assert "prices nothing" in explanation and "not counted" in explanation
