"""The reports page and its CSVs: who may see them, what they show, bad input, query counts."""

import csv
import io

import pytest
from django.urls import reverse

from planner.board import report_views
from planner.board.report_tables import BUILDERS
from tests.factories.planner import PlanFactory
from tests.planner.board.example import TODAY, at, quoted_plan

pytestmark = pytest.mark.django_db

PAGE = reverse("reports")


@pytest.fixture(autouse=True)
def on_the_worked_example_day(monkeypatch):
    monkeypatch.setattr(report_views, "report_day", lambda: TODAY)


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("who", ["desk_client", "clinician_client"])
def test_desk_and_clinicians_are_refused(request, who):
    client = request.getfixturevalue(who)
    assert client.get(PAGE).status_code == 403
    assert client.get(reverse("report-csv", args=["pipeline"])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_clinic_admin_role_grants_the_reports(clinic_admin, front_desk, clinician):
    assert clinic_admin.has_perm("planner.view_reports")
    assert not front_desk.has_perm("planner.view_reports")
    assert not clinician.has_perm("planner.view_reports")


def test_admin_sees_every_report_with_chart_table_and_csv_link(admin_client_clinic, worked_example):
    response = admin_client_clinic.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for slug in BUILDERS:
        assert f'id="report-{slug}"' in html
        assert reverse("report-csv", args=[slug]) + "?months=12" in html
    assert html.count('role="img"') >= 6  # pipeline USD and EUR, conversion, 2+ ahead, ...
    assert html.count("<caption>") == len(BUILDERS)
    # Figures as the formatting module writes them, never two currencies added together.
    assert "USD 3,000–5,000" in html and "EUR 500–700" in html
    assert "Median time from presentation to the patient&#x27;s decision: 6.0 days" in html
    assert "Reports</a>" in html  # the admin's navigation leads here


def test_a_bad_period_says_so_and_shows_the_default(admin_client_clinic):
    response = admin_client_clinic.get(PAGE, {"months": "13"})
    assert response.status_code == 200
    message = report_views.PERIOD_INVALID.format(choices="3, 6, 12 or 24", default=12)
    assert response.context["period_error"] == message
    assert response.context["months"] == 12
    assert 'role="alert"' in response.content.decode()
    csv_response = admin_client_clinic.get(
        reverse("report-csv", args=["sessions"]), {"months": "x"}
    )
    assert csv_response.status_code == 400
    assert csv_response.content.decode() == message


def test_a_period_narrows_the_period_reports(admin_client_clinic, worked_example):
    response = admin_client_clinic.get(PAGE, {"months": "3"})
    assert response.context["months"] == 3
    products = next(r for r in response.context["reports"] if r.slug == "products")
    assert products.rows == []  # the product was used in January and February


def test_an_unknown_csv_is_not_found(admin_client_clinic):
    assert admin_client_clinic.get("/reports/nothing.csv").status_code == 404


def test_csv_cells_cannot_run_as_formulas(admin_client_clinic, worked_example):
    response = admin_client_clinic.get(reverse("report-csv", args=["products"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="products-2026-06-15.csv"'
    assert read_csv(response) == [
        ["product", "sessions performed"],
        ["'=HYPERLINK(evil) (+Maker)", "2"],
    ]


def test_csv_has_the_tables_figures_as_plain_values(admin_client_clinic, worked_example):
    rows = read_csv(admin_client_clinic.get(reverse("report-csv", args=["pipeline"])))
    assert rows[0] == ["status", "currency", "plans", "quote minimums", "quote maximums"]
    assert ["Accepted", "USD", "2", "3000.00", "5000.00"] in rows
    assert ["Presented", "EUR", "1", "500.00", "700.00"] in rows
    conversion = read_csv(admin_client_clinic.get(reverse("report-csv", args=["conversion"])))
    assert conversion[0] == [
        "month",
        "presented",
        "accepted",
        "declined",
        "still open",
        "withdrawn",
    ]
    assert ["2026-05", "2", "1", "1", "0", "0"] in conversion


def test_a_treatment_name_starting_with_plus_is_neutralised(
    admin_client_clinic, worked_example, catalog
):
    from clinic.catalog_seed import LASER

    catalog[LASER].name = "+Laser"
    catalog[LASER].save()
    rows = read_csv(admin_client_clinic.get(reverse("report-csv", args=["treatments"])))
    assert ["'+Laser", "1", "2"] in rows


def many_rows(patient, n):
    for i in range(n):
        quoted_plan(patient, "presented", 100 + i, 200 + i, at(2026, 1 + i % 6, 3, 10))
        quoted_plan(
            patient, "declined", 100, 200, at(2026, 1 + i % 6, 3, 10), at(2026, 2 + i % 5, 1)
        )
        PlanFactory(patient=patient)


def test_the_page_reads_a_constant_number_of_queries(
    admin_client_clinic, worked_example, patient, django_assert_num_queries, settings
):
    # Counting the figures, every time (test_report_cache holds the cached page to 5).
    settings.REPORTS_CACHE_SECONDS = 0
    admin_client_clinic.get(PAGE)  # the session's first touches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        admin_client_clinic.get(PAGE)
    many_rows(patient, 30)
    with django_assert_num_queries(len(small)):
        admin_client_clinic.get(PAGE)
    # Sessions and user, then 1 pipeline + 3 conversion + 2 ahead + 3 period queries.
    assert len(small) <= 14


@pytest.mark.parametrize("slug", list(BUILDERS))
def test_each_csv_reads_a_constant_number_of_queries(
    admin_client_clinic, worked_example, patient, django_assert_max_num_queries, slug
):
    url = reverse("report-csv", args=[slug])
    admin_client_clinic.get(url)
    many_rows(patient, 20)
    with django_assert_max_num_queries(8):
        assert admin_client_clinic.get(url).status_code == 200
