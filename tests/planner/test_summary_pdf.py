"""The patient summary as a PDF: the same content as the page, at most three pages for a
two-course plan, static files read locally, and nothing written while rendering."""

import io
import os
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinic.catalog_cache import current_catalog
from clinic.catalog_seed import INJECTABLE, LASER, MICRONEEDLING
from clinic.models import PriceRange
from planner import actions
from planner.models import Course, Plan, PlanStatus, SummaryAccess
from planner.summary_pdf import (
    PDF_BASE_URL,
    render_pdf_here,
    static_only_fetcher,
    summary_stylesheet,
)
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory

pytestmark = pytest.mark.slow
# Session dates of the two-course plan below, as the summary prints them.
SESSION_DATES = [
    "12 Jan 2027",
    "12 Feb 2027",
    "2 Mar 2027",
    "12 Mar 2027",
    "30 Mar 2027",
    "27 Apr 2027",
]
POINTS_PER_MM = 72 / 25.4


def two_course_plan(patient, catalog, second=INJECTABLE, **fields) -> Plan:
    """Six sessions in two courses, with a ready-by date the plan misses (warnings)."""
    plan = PlanFactory(
        patient=patient,
        title="Skin quality and scar plan",
        indications=["skin_quality", "scars"],
        ready_by=date(2027, 4, 20),
        investigational_reference="IND 031245 / NCT06512345",
        patient_acknowledged_investigational=True,
        **fields,
    )
    CourseFactory(
        plan=plan,
        position=0,
        treatment=catalog[MICRONEEDLING],
        sessions=3,
        interval_count=1,
        interval_unit="months",
        first_session=date(2027, 1, 12),
        exosome_source="platelet",
    )
    CourseFactory(
        plan=plan,
        position=1,
        treatment=catalog[second],
        sessions=3,
        interval_count=4,
        interval_unit="weeks",
        first_session=date(2027, 3, 2),
        exosome_source="msc" if second == INJECTABLE else "plant",
    )
    return plan


def get_pdf(client, plan, **params):
    response = client.get(reverse("plan-summary-pdf", args=[plan.pk]), params)
    assert response.status_code == 200
    return response


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_is_served_as_an_attachment_named_after_the_patient_and_day(
    desk_client, catalog, patient
):
    plan = two_course_plan(patient, catalog)
    response = get_pdf(desk_client, plan)

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="summary-ada-example-plan-{plan.pk}-{today}.pdf"'
    )


def test_pdf_text_has_the_patient_every_session_date_and_the_total(
    settings, desk_client, catalog, patient
):
    settings.CLINIC_NAME = "Lumen Skin Clinic"

    text = pdf_text(get_pdf(desk_client, two_course_plan(patient, catalog)).content)

    assert "Ada Example" in text
    assert "Lumen Skin Clinic" in text
    for day in SESSION_DATES:
        assert day in text
    assert "USD 11,000–22,000" in text
    assert "IND 031245 / NCT06512345" in text
    assert "is after the ready-by date 20 Apr 2027" in text
    assert "Page 1 of 3" in text
    assert "Page 3 of 3" in text


@pytest.mark.parametrize("second", [INJECTABLE, LASER])
@pytest.mark.parametrize(
    ("paper", "width_mm", "height_mm"), [("letter", 215.9, 279.4), ("a4", 210, 297)]
)
def test_two_courses_of_six_sessions_fit_on_three_pages(
    settings, desk_client, catalog, patient, second, paper, width_mm, height_mm
):
    settings.CLINIC_ADDRESS = "120 Harbor Street, Suite 4, Boston, MA 02110"
    settings.CLINIC_CONTACT = "(617) 555-0142 · care@lumenskin.example"

    content = get_pdf(desk_client, two_course_plan(patient, catalog, second), paper=paper).content

    pages = PdfReader(io.BytesIO(content)).pages
    # Two pages until the summary carried the four due-diligence answers, the split risks
    # and the state of the evidence (issue 12); three is the limit now.
    assert len(pages) <= 3
    box = pages[0].mediabox
    assert float(box.width) == pytest.approx(width_mm * POINTS_PER_MM, abs=1)
    assert float(box.height) == pytest.approx(height_mm * POINTS_PER_MM, abs=1)


def test_unknown_paper_falls_back_to_letter_for_a_usd_clinic(desk_client, catalog, patient):
    content = get_pdf(desk_client, two_course_plan(patient, catalog), paper="tabloid").content

    assert float(PdfReader(io.BytesIO(content)).pages[0].mediabox.height) == pytest.approx(792)


def test_pdf_keeps_the_frozen_figures_after_a_price_change(
    desk_client, front_desk, catalog, patient
):
    plan = PlanFactory(patient=patient)
    CourseFactory(plan=plan, position=0, treatment=catalog[MICRONEEDLING], sessions=3)
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    PriceRange.objects.filter(treatment=catalog[MICRONEEDLING], unit="series").update(
        minimum=Decimal("2500")
    )

    text = pdf_text(get_pdf(desk_client, plan).content)

    assert "USD 2,000–4,000" in text
    assert "2,500" not in text


def test_laser_course_without_a_price_is_stated_plainly_in_the_pdf(desk_client, catalog, patient):
    text = pdf_text(get_pdf(desk_client, two_course_plan(patient, catalog, LASER)).content)

    assert "Price not set" in text
    assert "This total is incomplete." in text


def test_markup_in_the_patient_name_is_printed_as_text(desk_client, catalog):
    patient = PatientFactory(full_name="Ann <b>Lee</b>")

    response = get_pdf(desk_client, two_course_plan(patient, catalog))

    assert "Ann <b>Lee</b>" in pdf_text(response.content)
    assert "<" not in response["Content-Disposition"]


def test_generating_the_pdf_writes_nothing_but_the_access_log(
    desk_client, front_desk, catalog, patient, django_assert_max_num_queries
):
    plan = two_course_plan(patient, catalog)
    counts = (
        Plan.objects.count(),
        Course.objects.count(),
        Plan.history.count(),
        Course.history.count(),
    )
    updated_at = Plan.objects.get(pk=plan.pk).updated_at

    current_catalog()  # held, as on a server that has served a page since the last catalog write
    # The summary's bound (test_summary) plus the shared cache's reads and writes (the render
    # slot's mark, the render by its HTML, the finished PDF), whatever the plan: here only
    # the writes are looked at.
    with django_assert_max_num_queries(27) as queries:
        get_pdf(desk_client, plan)

    writes = [
        q["sql"]
        for q in queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
        and "clinic_cache" not in q["sql"]
    ]
    assert len(writes) == 1
    assert "planner_summaryaccess" in writes[0]
    logged = SummaryAccess.objects.get()
    assert (logged.plan_id, logged.user, logged.kind) == (plan.pk, front_desk, "pdf")
    assert counts == (
        Plan.objects.count(),
        Course.objects.count(),
        Plan.history.count(),
        Course.history.count(),
    )
    assert Plan.objects.get(pk=plan.pk).updated_at == updated_at


# --- the URL fetcher: static files only, never the network -------------------------------------


def test_fetcher_serves_the_summary_stylesheet_from_the_static_finders():
    response = static_only_fetcher()(f"{PDF_BASE_URL}static/css/summary.css")

    assert response.content_type == "text/css"
    assert b".summary" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/tracker.css",
        f"{PDF_BASE_URL}media/photo.jpg",
        f"{PDF_BASE_URL}static/css/missing.css",
        f"{PDF_BASE_URL}static/../clinic/settings.py",
        f"{PDF_BASE_URL}static/%2e%2e/%2e%2e/etc/passwd",
        "file:///etc/passwd",
    ],
)
def test_fetcher_refuses_anything_but_a_static_file(url):
    with pytest.raises(ValueError):
        static_only_fetcher()(url)


def _pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_renderer_applies_the_summary_stylesheet_the_template_no_longer_links():
    # summary.css hides the screen page's actions in print; without the stylesheet they
    # would be printed.
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><p>Printed</p><p class="summary-actions">Screen only</p></body></html>'
    )
    text = _pdf_text(render_pdf_here(html))
    assert "Printed" in text
    assert "Screen only" not in text


def test_the_stylesheet_is_parsed_once_and_again_when_it_changes(monkeypatch):
    first = summary_stylesheet()
    assert summary_stylesheet() is first
    real_stat = os.stat
    monkeypatch.setattr(
        "planner.summary_pdf.os.stat",
        lambda path: os.stat_result((*real_stat(path)[:8], 0, 0)),
    )
    assert summary_stylesheet() is not first
