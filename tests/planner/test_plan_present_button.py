"""The plan page's "Present to patient": disabled with the guardrail's reason when presenting
would be refused, and asking first, naming the open points, when it would not."""

from django.urls import reverse
from django.utils.html import escape

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from planner import actions
from tests.factories.planner import CourseFactory, make_plan


def present_form(response) -> str:
    html = response.content.decode()
    end = html.index(">Present to patient</button>")
    start = html.rindex("<form", 0, end)
    return html[start : html.index("</form>", end)]


def test_a_guardrail_that_will_refuse_disables_present_with_the_reason(
    desk_client, catalog, patient
):
    plan = make_plan(patient, catalog[INJECTABLE])

    form = present_form(desk_client.get(reverse("plan-detail", args=[plan.pk])))

    assert "disabled" in form
    assert 'aria-describedby="refusal-presented"' in form
    assert escape(actions.INVESTIGATIONAL_RECORD_MISSING) in form
    assert "data-confirm" not in form


def test_open_warnings_are_named_in_the_confirmation(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING])
    first = plan.courses.get()
    CourseFactory(
        plan=plan, position=1, treatment=catalog[MICRONEEDLING], first_session=first.first_session
    )

    form = present_form(desk_client.get(reverse("plan-detail", args=[plan.pk])))

    assert "disabled" not in form
    assert 'data-confirm="Present to patient with' in form
    assert "falls within the downtime" in form


def test_a_plan_without_open_points_presents_without_asking(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING], interval_count=1, interval_unit="months")

    form = present_form(desk_client.get(reverse("plan-detail", args=[plan.pk])))

    assert "disabled" not in form and "data-confirm" not in form
