"""The bench cannot rot: its measuring code runs on tiny data (no timing is asserted), its
report and verdicts are built from that run, and the query counts it relies on hold."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from bench import databases, run
from bench.fixtures import create_bench_data, endpoints

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def bench_data(settings):
    settings.ROOT_URLCONF = "bench.urls"  # the project's URLs plus the floor view
    call_command("seed_demo", patients=8, plans=24, stdout=io.StringIO())
    return create_bench_data()


@pytest.fixture
def client_in(bench_data):
    return run.logged_in_client(bench_data)


def test_a_tiny_run_times_and_counts_every_request(bench_data):
    result = run.measure(
        bench_data, iterations=1, warmup=0, pdf_iterations=1, count_runs=1, per_plan=()
    )

    timed = endpoints(bench_data) + run.report_endpoints(bench_data) + run.board_endpoints()
    assert list(result["endpoints"]) == [e.name for e in timed]
    for name, figures in result["endpoints"].items():
        assert figures["samples"] == 1, name
        assert figures["queries"] == len(figures["sql"]) > 0, name
    assert result["endpoints"]["floor"]["ratio"] == 1
    assert result["pdf_pages"] >= 1

    result.update(
        seeded={"patients": 8, "plans": 24, "seconds": 0.0},
        rows=run.table_rows(),
        queries_by_courses={"plan_page": {"one_course": 9, "twelve_courses": 9}},
    )
    checks = run.verdicts({"small": result, "large": result})
    report = {
        "date": "today",
        "engine": "sqlite",
        "machine": run.machine(),
        "datasets": {"small": result, "large": result},
        "checks": checks,
    }
    text = run.format_report(report)
    assert "recalculation (htmx)" in text and "large/small" in text
    judged = {c["check"] for c in checks}
    for page in ("day board (staff home)", "lot and recall page", "patient signing page"):
        assert f"small: {page} <= 4.0× floor" in judged, page
    assert {c["check"] for c in checks if c["ok"]} >= {
        "queries of plan page, small vs large database",
        "small: plan page queries, 1 vs 12 courses",
    }


@pytest.mark.parametrize("name", ["recalculation", "plan_page", "plan_editor", "summary_html"])
def test_queries_are_the_same_for_one_course_and_twelve(bench_data, client_in, name):
    counts = run.queries_by_courses(client_in, bench_data, (name,), warm=True, runs=2)[name]

    assert counts["one_course"] == counts["twelve_courses"]
    # Session, user, roles, the plan with its courses, the catalog rows the page needs.
    assert counts["one_course"] <= 12


def test_the_floor_view_needs_a_login(bench_data, client):
    response = client.get(reverse("bench-floor"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_bench_never_uses_the_configured_database():
    postgres = "postgres://app:secret@127.0.0.1:5432/app"

    assert databases.dataset_url("large", postgres) == (
        "postgres://app:secret@127.0.0.1:5432/app_bench_large"
    )
    assert databases.dataset_url("small", "sqlite:////srv/clinic/db.sqlite3").endswith(
        "bench/results/bench-small.sqlite3"
    )
