"""The timeline picture appears on every surface that shows a plan: the plan page, the
editor's recalculated results, the compare page, the summary page and its PDF."""

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinic.catalog_seed import LASER, MICRONEEDLING
from tests.factories.planner import PatientFactory, make_plan

HTMX = {"HX-Request": "true"}


def timelines(html: str) -> list[ET.Element]:
    """Every timeline SVG in a page, parsed (so each is well-formed XML on its own)."""
    found, start = [], 0
    while (
        start := html.find('<svg xmlns="http://www.w3.org/2000/svg" class="timeline"', start)
    ) >= 0:
        end = html.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(html[start:end]))
        start = end
    return found


def wide(html: str) -> list[ET.Element]:
    """The wide drawings; each comes with a narrow one drawn for side panels (CSS picks)."""
    svgs = timelines(html)
    narrow = [s for s in svgs if "-narrow" in s.get("aria-labelledby")]
    wide_ = [s for s in svgs if s not in narrow]
    assert [sessions_drawn(s) for s in narrow] == [sessions_drawn(s) for s in wide_]
    return wide_


def sessions_drawn(svg: ET.Element) -> int:
    return sum(1 for e in svg.iter() if (e.get("class") or "") == "session")


@pytest.fixture
def plan(catalog, patient):
    return make_plan(
        patient,
        catalog[MICRONEEDLING],
        catalog[LASER],
        ready_by=timezone.localdate() + timedelta(days=600),
    )


def test_plan_page_shows_the_timeline_beside_the_tables(desk_client, plan):
    html = desk_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()

    (svg,) = wide(html)
    assert sessions_drawn(svg) == 6
    assert svg.get("role") == "img"
    assert 'class="sessions"' in html  # the table stays


def test_editor_recalculation_returns_the_timeline(desk_client, catalog, patient):
    today = timezone.localdate()
    data = {
        "courses-TOTAL_FORMS": "1",
        "courses-INITIAL_FORMS": "0",
        "title": "Glow",
        "ready_by": "",
        "notes": "",
        "courses-0-treatment": str(catalog[MICRONEEDLING].pk),
        "courses-0-sessions": "4",
        "courses-0-interval_count": "",
        "courses-0-interval_unit": "",
        "courses-0-first_session": (today + timedelta(days=14)).isoformat(),
        "courses-0-exosome_source": "",
    }
    url = f"{reverse('plan-create')}?patient={patient.pk}"

    response = desk_client.post(url, data, headers=HTMX)

    (svg,) = wide(response.content.decode())
    assert sessions_drawn(svg) == 4


def test_compare_page_shows_one_timeline_per_plan_with_distinct_ids(desk_client, catalog, plan):
    other = make_plan(plan.patient, catalog[MICRONEEDLING], title="Option B")

    html = desk_client.get(reverse("plan-compare", args=[plan.pk, other.pk])).content.decode()

    first, second = wide(html)
    assert [sessions_drawn(first), sessions_drawn(second)] == [6, 3]
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_summary_page_shows_the_timeline(desk_client, plan):
    html = desk_client.get(reverse("plan-summary", args=[plan.pk])).content.decode()

    (svg,) = wide(html)
    assert sessions_drawn(svg) == 6
    assert "results keep developing" in ET.tostring(svg, encoding="unicode")


def test_a_plan_without_sessions_draws_no_timeline(desk_client, patient):
    plan = make_plan(patient)

    html = desk_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()

    assert wide(html) == []


def test_markup_in_a_treatment_name_is_escaped_in_the_timeline(desk_client, catalog):
    treatment = catalog[MICRONEEDLING]
    treatment.name = '<img src=x onerror="alert(1)"> needling'
    treatment.save()
    plan = make_plan(PatientFactory(), treatment)

    html = desk_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()

    (svg,) = wide(html)
    assert "<img" not in ET.tostring(svg, encoding="unicode").replace("&lt;img", "")


@pytest.mark.slow
def test_pdf_carries_the_timeline(desk_client, plan):
    response = desk_client.get(reverse("plan-summary-pdf", args=[plan.pk]))

    assert response.status_code == 200
    # WeasyPrint draws the SVG's text as text: the axis and the legend are in the PDF.
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "results keep developing" in text
    assert text.count("downtime (longest)") == 1  # the wide drawing only


def test_compare_page_says_how_long_results_keep_developing(desk_client, catalog, plan):
    # It read a field the schedule never had, so every course showed "not documented".
    other = make_plan(plan.patient, catalog[MICRONEEDLING], title="Option B")

    html = desk_client.get(reverse("plan-compare", args=[plan.pk, other.pk])).content.decode()

    assert "results keep developing for about 4–6 weeks after each session" in html
    assert "results show" not in html.lower()
