"""Rendered HTML kept in the shared cache (planner.fragments): the plan page's results panel
and the summary page's sheet are served again only while nothing they show has changed."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import PriceRange
from planner import actions
from planner.fragments import CACHE_PREFIX
from planner.models import Plan
from planner.planning import CourseDraft
from tests.factories.planner import make_plan

pytestmark = pytest.mark.django_db


def kept_keys() -> list[str]:
    """The fragments in the shared cache (the database cache's table)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM clinic_cache")
        return [key for (key,) in cursor.fetchall() if f":{CACHE_PREFIX}:" in key]


def page(client, plan) -> str:
    return comparable(client.get(reverse("plan-detail", args=[plan.pk])).content.decode())


def comparable(html: str) -> str:
    """The page without what changes on every request: the CSRF token (masked afresh) and the
    seconds left before the idle logoff."""
    html = re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', "", html)
    return re.sub(r'data-seconds-left="\d+"', "", html)


def sessions_shown(html: str) -> int:
    """The schedule's count, '12 Jan 2027 to 4 Mar 2027 · 3 sessions'."""
    return int(re.search(r"· (\d+) sessions?</p>", html)[1])


def total(html: str) -> str:
    return re.search(r'id="plan-total"[^>]*>([^<]+)<', html)[1]


def resave(plan, user, *, sessions: int) -> Plan:
    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)
    course = plan.courses.all()[0]
    return actions.plan_save(
        plan=plan,
        patient=plan.patient,
        fields=actions.PlanFields(
            title=plan.title, indications=plan.indications, ready_by=None, notes=""
        ),
        drafts=[
            CourseDraft(
                key="0",
                treatment=course.treatment,
                sessions=sessions,
                interval_count=course.interval_count,
                interval_unit=course.interval_unit,
                first_session=course.first_session,
            )
        ],
        user=user,
        expected_version=plan.version,
    )


@pytest.fixture
def plan(catalog, patient):
    return make_plan(patient, catalog[MICRONEEDLING], sessions=3)


def test_the_plan_page_shows_the_kept_panel_unchanged(desk_client, plan):
    first = page(desk_client, plan)
    assert len(kept_keys()) == 1

    assert page(desk_client, plan) == first
    assert len(kept_keys()) == 1


def test_a_saved_change_shows_at_once(desk_client, clinician, plan):
    before = page(desk_client, plan)
    assert sessions_shown(before) == 3

    resave(plan, clinician, sessions=5)

    after = page(desk_client, plan)
    assert sessions_shown(after) == 5
    assert total(after) != total(before)


def test_a_price_change_shows_at_once(desk_client, catalog, plan):
    before = total(page(desk_client, plan))

    PriceRange.objects.filter(treatment=catalog[MICRONEEDLING]).update(
        minimum=Decimal("1"), maximum=Decimal("2")
    )

    assert total(page(desk_client, plan)) != before


def test_the_next_day_renders_afresh(desk_client, plan, monkeypatch):
    page(desk_client, plan)
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)

    page(desk_client, plan)

    assert len(kept_keys()) == 2


def test_nothing_is_kept_when_switched_off(desk_client, plan, settings):
    settings.FRAGMENT_CACHE_SECONDS = 0
    first = page(desk_client, plan)

    assert page(desk_client, plan) == first
    assert kept_keys() == []


# --- the summary page -----------------------------------------------------------------------


def summary(client, plan) -> str:
    return comparable(client.get(reverse("plan-summary", args=[plan.pk])).content.decode())


def test_a_kept_summary_sheet_costs_no_plan_query(desk_client, plan, django_assert_num_queries):
    first = summary(desk_client, plan)

    # Session, user, permissions, the plan's stamp, the kept sheet, the access log.
    with django_assert_num_queries(6) as queries:
        again = summary(desk_client, plan)

    assert again == first
    assert not any("planner_course" in q["sql"] for q in queries.captured_queries)
    assert plan.summary_accesses.count() == 2  # every opening is logged, kept sheet or not


def test_the_summary_follows_the_patient_and_who_prepares_it(
    desk_client, front_desk, clinician, plan
):
    other = Client()
    other.force_login(clinician)
    assert front_desk.get_full_name() in summary(desk_client, plan)
    assert clinician.get_full_name() in summary(other, plan)
    assert front_desk.get_full_name() in summary(desk_client, plan)

    actions.patient_save(
        patient=plan.patient,
        changes={"full_name": "Renamed Patient"},
        user=front_desk,
        expected_version=plan.patient.version,
    )

    assert "Renamed Patient" in summary(desk_client, plan)


def test_the_summary_follows_a_saved_change(desk_client, clinician, plan):
    assert "1 of 3" in summary(desk_client, plan)

    resave(plan, clinician, sessions=5)

    assert "1 of 5" in summary(desk_client, plan)


# --- the plan page's reading (planner.plan_page) ------------------------------------------


def test_a_renamed_user_is_named_afresh_on_a_kept_page(desk_client, front_desk, clinician, plan):
    plan = resave(plan, clinician, sessions=4)
    assert f"by {clinician.get_full_name()}" in page(desk_client, plan)

    clinician.first_name, clinician.last_name = "Renamed", "Clinician"
    clinician.save()

    html = page(desk_client, plan)
    assert "by Renamed Clinician</p>" in html  # the header: the last editor
    assert "Renamed Clinician courses now" in html  # the change log

    plan = resave(plan, front_desk, sessions=5)
    page(desk_client, plan)
    clinician.first_name = "Again"
    clinician.save()

    html = page(desk_client, plan)
    assert f"by {front_desk.get_full_name()}</p>" in html
    # Neither the viewer nor the last editor: named by a query of its own.
    assert "Again Clinician courses now" in html


def test_the_change_log_follows_a_save(desk_client, clinician, plan):
    assert f"{clinician.get_full_name()} courses now" not in page(desk_client, plan)

    resave(plan, clinician, sessions=4)

    assert f"{clinician.get_full_name()} courses now" in page(desk_client, plan)


def test_a_kept_reading_costs_no_course_or_history_query(
    desk_client, clinician, plan, django_assert_num_queries
):
    plan = resave(plan, clinician, sessions=4)
    page(desk_client, plan)

    # Session, user, permissions, the plan (with its last editor, and whether it has signing
    # links: it has none), the kept reading, the patient's other plans. Everyone the page names
    # is the viewer or the last editor, so no name is read on its own.
    with django_assert_num_queries(6) as queries:
        page(desk_client, plan)

    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "planner_course" not in tables and "historical" not in tables


def test_the_summary_stamp_follows_a_rename_of_who_accepted_the_gaps(clinician, plan):
    from planner import summary_pdf

    Plan.objects.filter(pk=plan.pk).update(due_diligence_acknowledged_by=clinician)
    before = summary_pdf.plan_stamp(plan.pk)

    clinician.last_name = "Renamed"
    clinician.save()

    # The kept summary sheet and PDF name who accepted them: a new name is a new key.
    assert summary_pdf.plan_stamp(plan.pk) != before
    assert summary_pdf.plan_stamp(plan.pk)["acknowledged_by"][1] == "Renamed"
