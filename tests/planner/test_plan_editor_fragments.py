"""The plan editor answers each htmx action with only the part it changes, and keeps a
failed save's errors together at the top."""

import ast
import inspect
from html.parser import HTMLParser

import pytest
from django.db.models import F
from django.utils.html import escape

from clinic.catalog_seed import MICRONEEDLING
from planner import actions
from planner.forms import editor as plan_editor
from planner.forms import plans as plan_forms
from planner.models import Plan
from planner.views import plans as plan_views
from tests.factories.planner import make_plan
from tests.planner.test_plan_editor import HTMX, course, create_url, editor_data


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.described_by, self.oob = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "aria-describedby" in attrs:
            self.described_by.extend(attrs["aria-describedby"].split())
        if "data-hx-swap-oob" in attrs:
            self.oob.append(attrs["id"])


def parsed(response) -> _Ids:
    parser = _Ids()
    parser.feed(response.content.decode())
    return parser


def test_add_course_answers_with_the_courses_and_the_results_only(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING]), action="add_course")

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response.templates[0].name == "planner/_editor_courses.html"
    html = response.content.decode()
    assert "<form" not in html and "<h1" not in html
    assert html.count('class="card course"') == 2
    # The estimate, the one-line total and the status follow out of band.
    assert parsed(response).oob == ["plan-results", "total-line", "recalc-status"]
    assert "USD 4,000–8,000" in html


def test_remove_course_answers_with_the_courses_only(desk_client, catalog, patient):
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=1),
        course(catalog[MICRONEEDLING], sessions=4),
        action="remove_course:0",
    )

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response.templates[0].name == "planner/_editor_courses.html"
    assert response.content.decode().count('class="card course"') == 1
    assert "USD 2,600–5,500" in response.content.decode()


def test_refresh_answers_with_that_courses_product_fields_only(desk_client, catalog, patient):
    data = editor_data(
        course(catalog[MICRONEEDLING]), course(catalog[MICRONEEDLING]), action="refresh:1"
    )

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response.templates[0].name == "planner/_editor_product_fields.html"
    html = response.content.decode().strip()
    assert html.startswith('<div id="courses-1-product-fields"')
    assert "courses-0" not in html
    assert parsed(response).oob == []


def test_htmx_attributes_use_the_data_spelling(desk_client, catalog, patient):
    html = desk_client.get(create_url(patient)).content.decode()
    assert " hx-" not in html
    assert 'data-hx-post="' in html


def test_course_form_carries_no_htmx_attributes(catalog):
    form = plan_forms.CourseForm(treatments={t.pk: t for t in catalog.values()}, prefix="c-0")
    assert not [n for n, f in form.fields.items() if any("hx" in a for a in f.widget.attrs)]


def test_failed_save_shows_a_summary_linking_each_field(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=40), title="", action="save")

    response = desk_client.post(create_url(patient), data)

    html = response.content.decode()
    start = html.rindex("<div", 0, html.index('id="error-summary"'))
    summary = html[start : html.index("</div>", start)]
    assert 'role="alert"' in summary
    assert escape(plan_editor.NOTHING_SAVED.format(count=2, plural="s")) in summary
    assert 'href="#id_title"' in summary
    assert 'href="#id_courses-0-sessions"' in summary
    assert escape(plan_forms.SESSIONS_OUT_OF_RANGE) in summary


@pytest.mark.parametrize("action", ["save", "recalculate"])
def test_every_aria_describedby_names_an_element(desk_client, catalog, patient, action):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=40), title="", action=action)

    ids = parsed(desk_client.post(create_url(patient), data))

    assert ids.described_by, "no field is described"
    assert set(ids.described_by) <= ids.ids


def test_live_recalculation_with_errors_marks_the_estimate_out_of_date(
    desk_client, catalog, patient
):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=40))

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response["HX-Reswap"] == "none"
    assert "Estimate out of date" in response.content.decode()


def test_one_line_total_is_the_live_region_not_the_whole_panel(desk_client, catalog, patient):
    html = desk_client.get(create_url(patient)).content.decode()
    panel = html[html.index('id="plan-results"') :]
    assert "aria-live" not in panel[: panel.index(">")]
    assert 'tabindex="0"' in panel[: panel.index(">")]
    line = html[html.index('id="total-line"') : html.index("</p>", html.index('id="total-line"'))]
    assert 'role="status"' in line
    assert "Total USD 2,000–4,000 · 3 sessions" in line


def test_stale_save_raises_with_the_version_saved_now(catalog, patient, clinician):
    plan = make_plan(patient, catalog[MICRONEEDLING])
    Plan.objects.filter(pk=plan.pk).update(version=F("version") + 2)

    with pytest.raises(actions.StaleEditError) as refused:
        actions.plan_save(
            plan=plan,
            patient=plan.patient,
            fields=actions.PlanFields(title="Mine", indications=[], ready_by=None, notes=""),
            drafts=[],
            user=clinician,
            expected_version=1,
        )

    assert refused.value.current_version == 3
    assert str(refused.value) == actions.STALE_EDIT


def test_editor_view_is_small_and_queries_no_model_itself():
    source = inspect.getsource(plan_views._plan_editor)
    assert len(source.splitlines()) <= 35
    assert "objects" not in source
    branches = sum(
        isinstance(node, ast.If | ast.For | ast.While | ast.Try | ast.BoolOp | ast.IfExp)
        + (len(node.handlers) if isinstance(node, ast.Try) else 0)
        for node in ast.walk(ast.parse(source.lstrip()))
    )
    assert branches + 1 <= 10
