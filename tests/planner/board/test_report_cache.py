"""The reports' figures in the shared cache: counted once per lifetime for a period and day,
the page says when they were counted, a CSV matches the page, and after the lifetime a clinic
admin sees the new figures."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from planner.board import report_cache, report_views
from planner.board.report_tables import BUILDERS
from tests.planner.board.example import TODAY, at, quoted_plan

pytestmark = pytest.mark.django_db

PAGE = reverse("reports")
NOON = at(2026, 6, 15, 12, 0)


@pytest.fixture(autouse=True)
def on_the_worked_example_day(monkeypatch, settings):
    settings.REPORTS_CACHE_SECONDS = 600
    monkeypatch.setattr(report_views, "report_day", lambda: TODAY)
    cache.clear()


@pytest.fixture
def now(monkeypatch):
    """The cache's clock, moved by the test (the cache backend's own timeout is far off)."""
    moment = [NOON]
    monkeypatch.setattr(report_cache, "clock", lambda: moment[0])
    return moment


def pipeline_csv(client) -> str:
    return client.get(reverse("report-csv", args=["pipeline"])).content.decode()


def new_presented_plan(patient):
    quoted_plan(patient, "presented", 1000, 2000, at(2026, 6, 1, 10), currency="GBP")


def test_the_page_says_when_its_figures_were_counted(admin_client_clinic, worked_example, now):
    html = admin_client_clinic.get(PAGE).content.decode()
    local = timezone.localtime(NOON)
    assert f"Figures as of {local:%H:%M} on 15 Jun 2026, refreshed every 10 minutes." in html


def test_within_the_lifetime_the_page_shows_the_cached_figures(
    admin_client_clinic, worked_example, patient, now, django_assert_num_queries
):
    admin_client_clinic.get(PAGE)
    new_presented_plan(patient)
    now[0] = NOON + timedelta(minutes=9)
    # The session, the user, the second factor, the permissions and the one cache read: no
    # report query.
    with django_assert_num_queries(5):
        html = admin_client_clinic.get(PAGE).content.decode()
    assert "GBP" not in html
    assert f"Figures as of {timezone.localtime(NOON):%H:%M}" in html


def test_after_the_lifetime_a_clinic_admin_sees_the_new_figures(
    admin_client_clinic, worked_example, patient, now
):
    admin_client_clinic.get(PAGE)
    new_presented_plan(patient)
    now[0] = NOON + timedelta(minutes=10)
    html = admin_client_clinic.get(PAGE).content.decode()
    assert "GBP 1,000–2,000" in html
    assert f"Figures as of {timezone.localtime(now[0]):%H:%M}" in html
    # And the refreshed figures are the ones cached from then on.
    assert cache.get(report_cache.cache_key(today=TODAY, months=12)).counted_at == now[0]


def test_each_period_and_day_is_cached_apart(admin_client_clinic, worked_example, patient, now):
    admin_client_clinic.get(PAGE)
    new_presented_plan(patient)
    assert "GBP" in admin_client_clinic.get(PAGE + "?months=6").content.decode()
    assert cache.get(report_cache.cache_key(today=TODAY + timedelta(days=1), months=12)) is None


def test_a_csv_carries_the_same_figures_as_the_page(
    admin_client_clinic, worked_example, patient, now
):
    admin_client_clinic.get(PAGE)
    new_presented_plan(patient)
    assert "GBP" not in pipeline_csv(admin_client_clinic)
    now[0] = NOON + timedelta(minutes=11)
    assert "GBP" in pipeline_csv(admin_client_clinic)


def test_a_csv_without_cached_figures_counts_its_own_report_only(
    admin_client_clinic, worked_example, now, django_assert_max_num_queries
):
    for slug in BUILDERS:
        # Session, user, second factor, permissions, the cache read and at most three
        # queries of its own report.
        with django_assert_max_num_queries(8):
            admin_client_clinic.get(reverse("report-csv", args=[slug]))
    assert cache.get(report_cache.cache_key(today=TODAY, months=12)) is None


def test_with_the_cache_off_every_page_counts_afresh(
    admin_client_clinic, worked_example, patient, settings
):
    settings.REPORTS_CACHE_SECONDS = 0
    admin_client_clinic.get(PAGE)
    new_presented_plan(patient)
    html = admin_client_clinic.get(PAGE).content.decode()
    assert "GBP 1,000–2,000" in html
    assert "refreshed every" not in html and "Figures as of" in html


@pytest.mark.parametrize(
    ("seconds", "words"), [(600, "10 minutes"), (60, "1 minute"), (90, "90 seconds")]
)
def test_the_refresh_interval_reads_in_words(settings, seconds, words):
    settings.REPORTS_CACHE_SECONDS = seconds
    figures = report_cache.Figures(reports={}, counted_at=NOON)
    assert report_cache.as_of(figures).endswith(f"refreshed every {words}.")
