"""The day board's lists and the lot page read one screen of an index in the list's order,
whatever the number of rows. Regressions: when they aggregated or sorted every presented
plan, link, deposit or use of a lot, they took 30 to 250 ms each at 100,000 plans.

SQLite, as the app runs it, has no table statistics: its planner chooses by the query's
shape alone, the same on a test database as on a clinic chain's, so its plans are checked
here (PostgreSQL's depend on its statistics: see the bench)."""

import re
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from planner.board import day
from planner.delivery import selectors
from planner.delivery.models import TreatmentSession
from tests.planner.board import builders

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner, no statistics"),
]
SORTS_ALL = "USE TEMP B-TREE FOR ORDER BY"


def query_plans(call) -> list[str]:
    """SQLite's plan of each query `call` runs, in order."""
    with CaptureQueriesContext(connection) as captured:
        call()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plans.append("\n".join(row[3] for row in cursor.fetchall()))
    return plans


def reads_in_order(plan: str, index: str) -> bool:
    return re.search(rf"INDEX {index}\b", plan) is not None and SORTS_ALL not in plan


@pytest.fixture
def today():
    return timezone.localdate()


def test_sessions_read_the_screens_time_slots_only(catalog, front_desk, today):
    plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(0, 1))
    TreatmentSession.objects.filter(plan=plan).update(planned_time=time(10))

    slots, rows, *_ = query_plans(lambda: day.sessions_ahead(today=today, page=None))

    assert "COVERING INDEX session_board_idx" in slots
    assert "session_board_idx (status=? AND planned_date>? AND planned_date<?)" in rows
    assert SORTS_ALL not in rows


def test_a_screen_within_one_day_is_one_range_of_the_index(catalog, front_desk, today):
    for _ in range(day.PER_PAGE + 1):
        plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(0,))
        TreatmentSession.objects.filter(plan=plan).update(planned_time=time(10))

    _slots, rows, *_ = query_plans(lambda: day.sessions_ahead(today=today, page=None))

    assert (
        "session_board_idx (status=? AND planned_date=? AND planned_time>? AND planned_time<?)"
        in (rows)
    )


def test_quote_lists_read_their_indexes_in_order(front_desk, today):
    plan = builders.presented_plan(quoted_days=26)
    builders.link_for(plan, staff=front_desk, expires_in_days=2)

    waiting, by_link, by_quote = query_plans(
        lambda: day.quote_lists(today=today, waiting_page=None, expiring_page=None)
    )

    assert "INDEX plan_quoted_idx (status=?)" in waiting and SORTS_ALL not in waiting
    # When a link of each row's plan was last opened: through the links' plan index.
    assert "planner_sharelink_plan_id" in waiting
    assert reads_in_order(by_link, "plan_link_expiry_idx")
    assert "plan_quoted_idx (status=? AND quoted_at>? AND quoted_at<?)" in by_quote
    assert SORTS_ALL not in by_quote


def test_opened_links_read_the_index_of_open_opened_links(front_desk):
    builders.opened(builders.link_for(builders.presented_plan(), staff=front_desk))

    (opened,) = query_plans(lambda: day.links_opened_not_signed(page=None))

    assert reads_in_order(opened, "link_opened_open_idx")


def test_recent_acceptances_read_the_decision_time_index(front_desk, today):
    builders.accepted_plan(staff=front_desk)

    (accepted,) = query_plans(lambda: day.recently_accepted(today=today, page=None))

    assert reads_in_order(accepted, "plan_decided_idx")


def test_deposits_due_read_the_outstanding_deposits_in_order(front_desk):
    from decimal import Decimal

    builders.accepted_plan(staff=front_desk, deposit_due=Decimal("100"))

    (deposits,) = query_plans(lambda: day.deposits_due(page=None))

    assert reads_in_order(deposits, "deposit_owed_idx")


def test_the_lot_page_reads_one_row_of_totals_and_a_screen_of_each_list(db):
    from tests.factories.clinic import ProductLotFactory

    lot = ProductLotFactory()

    counts, patients, performed, planned, _changes = query_plans(
        lambda: selectors.lot_recall_page(lot=lot, pages={})
    )

    assert "planner_lotuse" in counts and "SCAN" not in counts
    assert reads_in_order(patients, "lot_reach_name_idx")
    assert reads_in_order(performed, "session_lot_used_day_idx")
    assert reads_in_order(planned, "session_lot_planned_idx")
