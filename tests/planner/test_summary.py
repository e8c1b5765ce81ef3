"""The patient summary page: what it says, what it never says, who may open it, and what it
costs in queries. The PDF and the calendar have their own test modules."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.catalog_seed import INJECTABLE, LASER, MICRONEEDLING, SOURCES
from clinic.formatting import format_date
from clinic.models import PriceRange
from planner import actions
from planner.models import Plan, PlanStatus
from tests.factories.accounts import force_verified_login
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory

UNKNOWN = 999_999
SUMMARY_URLS = ["plan-summary", "plan-summary-pdf", "plan-calendar"]


def add_course(plan, treatment, *, position=0, sessions=3, first=date(2027, 1, 12), **fields):
    fields.setdefault("interval_count", 1)
    fields.setdefault("interval_unit", "months")
    return CourseFactory(
        plan=plan,
        position=position,
        treatment=treatment,
        sessions=sessions,
        first_session=first,
        **fields,
    )


@pytest.fixture
def microneedling_plan(catalog, patient):
    plan = PlanFactory(patient=patient, title="Glow plan", indications=["skin_quality"])
    add_course(plan, catalog[MICRONEEDLING])
    return plan


def summary_html(client, plan) -> str:
    response = client.get(reverse("plan-summary", args=[plan.pk]))
    assert response.status_code == 200
    return response.content.decode()


def total_on(html: str) -> str:
    start = html.index('id="summary-total"')
    return html[html.index(">", start) + 1 : html.index("</td>", start)]


# --- content ---------------------------------------------------------------------------------


def test_summary_names_clinic_patient_sessions_and_total(
    settings, client, front_desk, microneedling_plan
):
    settings.CLINIC_NAME = "Lumen Skin Clinic"
    settings.CLINIC_ADDRESS = "120 Harbor Street, Boston"
    settings.CLINIC_CONTACT = "(617) 555-0142"
    front_desk.first_name, front_desk.last_name = "Maria", "Okafor"
    front_desk.save()
    client.force_login(front_desk)

    html = summary_html(client, microneedling_plan)

    for text in ("Lumen Skin Clinic", "120 Harbor Street, Boston", "(617) 555-0142"):
        assert text in html
    assert "Ada Example" in html
    assert "2 May 1984" in html
    assert "Glow plan" in html
    # The patient's goals, worded cosmetically (issue 12, point 13).
    assert "<dt>Your goals</dt>" in html
    assert "Skin quality (thinning, laxity, fine lines)" in html
    assert f"Prepared {format_date(timezone.localdate())}" in html
    assert "by Maria Okafor" in html
    assert "Draft" in html
    for day in ("12 Jan 2027", "12 Feb 2027", "12 Mar 2027"):
        assert day in html
    assert "13–14 Jan 2027" in html  # downtime 24–48 hours after the first session
    assert total_on(html) == "USD 2,000–4,000"
    assert "incomplete" not in html.lower()


def test_date_of_birth_is_left_out_when_not_recorded(desk_client, catalog):
    plan = PlanFactory(patient=PatientFactory(full_name="No Birthday", date_of_birth=None))
    add_course(plan, catalog[MICRONEEDLING])

    html = summary_html(desk_client, plan)

    assert "Date of birth" not in html


def test_estimate_is_valid_for_the_configured_days_from_today(
    settings, desk_client, microneedling_plan
):
    settings.QUOTE_VALID_DAYS = 10

    html = summary_html(desk_client, microneedling_plan)

    valid_until = format_date(timezone.localdate() + timedelta(days=10))
    assert f'<dd id="quote-valid-until">{valid_until}' in html


def test_presented_quote_is_valid_from_the_day_it_was_quoted(
    settings, desk_client, front_desk, microneedling_plan
):
    settings.QUOTE_VALID_DAYS = 30
    actions.plan_transition(
        plan=microneedling_plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    quoted_at = timezone.now() - timedelta(days=40)
    Plan.objects.filter(pk=microneedling_plan.pk).update(quoted_at=quoted_at)
    # The local day of that moment: 40 days before today's date only when no daylight-saving
    # change lies between (it failed at 23:00 New York time with summer time 40 days back).
    quoted = timezone.localdate(quoted_at)

    html = summary_html(desk_client, microneedling_plan)

    valid_until = format_date(quoted + timedelta(days=30))
    assert f'<dd id="quote-valid-until">{valid_until} <strong>(expired' in html
    assert f"quoted {format_date(quoted)}" in html


def test_laser_course_without_a_price_says_price_not_set_and_the_total_is_incomplete(
    desk_client, catalog, patient
):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[MICRONEEDLING])
    add_course(plan, catalog[LASER], position=1, first=date(2027, 5, 3), interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert "Price not set" in html
    assert (
        "No price is set for Fractional laser + topical exosome, so 3 sessions are not priced."
        in html
    )
    assert "Total (incomplete)" in html
    assert "This total is incomplete." in html
    assert total_on(html) == "USD 2,000–4,000"


def test_every_plan_says_no_exosome_product_is_fda_approved(desk_client, microneedling_plan):
    html = summary_html(desk_client, microneedling_plan)

    assert "No exosome product is approved by the US Food and Drug Administration (FDA)" in html
    assert "(as of 2026)" in html


def test_topical_course_is_disclosed_as_cosmetic_topical_use(desk_client, microneedling_plan):
    html = summary_html(desk_client, microneedling_plan)

    assert "Microneedling + topical exosome: a cosmetic, topical use." in html
    assert "investigational" not in html.lower()


def test_investigational_course_is_offered_only_within_the_recorded_trial(
    desk_client, catalog, patient
):
    plan = PlanFactory(
        patient=patient,
        investigational_reference="IND 031245",
        patient_acknowledged_investigational=True,
    )
    add_course(plan, catalog[INJECTABLE], interval_count=4, interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert (
        "Injectable MSC exosome (investigational) is investigational, not an approved "
        "treatment. It is offered to you only within the FDA IND or registered clinical trial "
        "recorded for this plan: IND 031245."
    ) in html
    assert "cosmetic, topical use" not in html


def test_investigational_course_without_a_reference_says_none_is_recorded(
    desk_client, catalog, patient
):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[INJECTABLE], interval_count=4, interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert "no reference has been recorded for this plan yet" in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("platelet", "They are for use on the skin only"),
        ("plant", "They may signal less effectively to human cells than exosomes of human"),
        ("synthetic", "Some products sold as exosomes may be liposomes"),
        ("placental", "Placental or amniotic exosomes come from cells of the placenta"),
    ],
)
def test_named_exosome_source_is_explained(desk_client, catalog, patient, source, expected):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[MICRONEEDLING], exosome_source=source)

    html = summary_html(desk_client, plan)

    assert expected in html


def test_treatment_source_is_explained_when_the_course_names_none(desk_client, catalog, patient):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[INJECTABLE], interval_count=4, interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert "Mesenchymal stem cell (MSC) exosomes are made by donor stem cells" in html
    assert "MSC-derived; investigational" in html


def test_each_treatment_kind_gets_its_own_words_and_catalog_figures(desk_client, catalog, patient):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[MICRONEEDLING])
    add_course(plan, catalog[LASER], position=1, first=date(2027, 5, 3), interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert html.count("<h3>Microneedling + topical exosome</h3>") == 1
    assert html.count("<h3>Fractional laser + topical exosome</h3>") == 1
    assert "Fine needles make many tiny channels in the skin." in html
    assert "A fractional (or ablative) laser opens the outer barrier" in html
    assert "24–48 hours" in html
    assert "3–7 days" in html
    assert "the risks reported are bruising and short-lived redness" in html
    assert "The microneedling itself: it has risks of its own" in html
    assert "The laser treatment itself: it has risks of its own" in html
    assert "immune reaction" in html


def test_undocumented_downtime_reads_not_documented(desk_client, catalog, patient):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[INJECTABLE], interval_count=4, interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert '<td class="nowrap nd">not documented</td>' in html
    assert "No source documents the downtime after an exosome injection" in html


def test_source_keys_behind_the_figures_are_listed_with_their_titles(desk_client, catalog, patient):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[MICRONEEDLING], exosome_source="platelet")
    PriceRange.objects.filter(treatment=catalog[MICRONEEDLING], unit="series").update(source="")

    html = summary_html(desk_client, plan)

    sources = html[html.index('id="sources-h"') :]
    for key in ("regen-2026", "chatham", "mayo-2025"):
        assert f'<span class="src-key">{key}</span>: {escape(SOURCES[key])}' in sources
    assert '<span class="src-key">clinic</span>: The clinic&#x27;s own figures' in sources
    assert "gould-interview" not in sources


def test_ready_by_conflicts_are_shown(desk_client, catalog, patient):
    plan = PlanFactory(patient=patient, ready_by=date(2027, 2, 1))
    add_course(plan, catalog[MICRONEEDLING])

    html = summary_html(desk_client, plan)

    assert "Please note" in html
    assert "is after the ready-by date 1 Feb 2027" in html


def test_presented_plan_keeps_its_frozen_figures_after_a_price_change(
    desk_client, front_desk, catalog, microneedling_plan
):
    actions.plan_transition(
        plan=microneedling_plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    PriceRange.objects.filter(treatment=catalog[MICRONEEDLING], unit="series").update(
        minimum=Decimal("2500")
    )

    html = summary_html(desk_client, microneedling_plan)

    assert total_on(html) == "USD 2,000–4,000"
    assert "2,500" not in html
    assert "These figures were fixed when the plan was presented on" in html
    assert "later price changes do not affect them" in html


def test_draft_plan_takes_todays_prices(desk_client, catalog, microneedling_plan):
    PriceRange.objects.filter(treatment=catalog[MICRONEEDLING], unit="series").update(
        minimum=Decimal("2500")
    )

    assert total_on(summary_html(desk_client, microneedling_plan)) == "USD 2,500–4,000"


def test_markup_in_names_is_escaped(desk_client, catalog):
    patient = PatientFactory(full_name="<script>alert(1)</script> Lee")
    plan = PlanFactory(patient=patient, title="<b>Glow</b>")
    add_course(plan, catalog[MICRONEEDLING])

    html = summary_html(desk_client, plan)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lee" in html
    assert "<b>Glow</b>" not in html


def test_plan_without_courses_still_has_a_summary(desk_client, patient):
    plan = PlanFactory(patient=patient)

    html = summary_html(desk_client, plan)

    assert "No sessions are planned yet." in html
    assert total_on(html) == "price not set"


def test_page_links_to_the_pdf_the_calendar_and_back_to_the_plan(desk_client, microneedling_plan):
    html = summary_html(desk_client, microneedling_plan)

    pk = microneedling_plan.pk
    assert f'href="{reverse("plan-summary-pdf", args=[pk])}"' in html
    assert f'href="{reverse("plan-calendar", args=[pk])}"' in html
    assert f'href="{reverse("plan-detail", args=[pk])}"' in html
    assert "js/print-button.js" in html


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUMMARY_URLS)
def test_anonymous_is_sent_to_login(client, microneedling_plan, name):
    response = client.get(reverse(name, args=[microneedling_plan.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", SUMMARY_URLS)
def test_user_without_a_role_is_forbidden(client, no_role_user, microneedling_plan, name):
    client.force_login(no_role_user)

    assert client.get(reverse(name, args=[microneedling_plan.pk])).status_code == 403


@pytest.mark.parametrize("name", SUMMARY_URLS)
@pytest.mark.parametrize("role", ["front_desk", "clinician", "clinic_admin"])
def test_staff_with_a_role_get_the_summary(client, request, microneedling_plan, name, role):
    force_verified_login(client, request.getfixturevalue(role))

    assert client.get(reverse(name, args=[microneedling_plan.pk])).status_code == 200


@pytest.mark.parametrize("name", SUMMARY_URLS)
def test_unknown_plan_is_not_found(desk_client, db, name):
    assert desk_client.get(reverse(name, args=[UNKNOWN])).status_code == 404


@pytest.mark.parametrize("name", SUMMARY_URLS)
def test_only_get_is_allowed(desk_client, microneedling_plan, name):
    response = desk_client.post(reverse(name, args=[microneedling_plan.pk]))

    assert response.status_code == 405


# --- queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUMMARY_URLS)
def test_queries_do_not_grow_with_the_number_of_courses(
    desk_client, catalog, patient, name, django_assert_max_num_queries, django_assert_num_queries
):
    small = PlanFactory(patient=patient)
    add_course(small, catalog[MICRONEEDLING], sessions=1)
    large = PlanFactory(patient=patient)
    treatments = [catalog[MICRONEEDLING], catalog[LASER], catalog[INJECTABLE]]
    for position in range(10):
        add_course(
            large,
            treatments[position % 3],
            position=position,
            sessions=1,
            first=date(2027, 1, 4) + timedelta(weeks=2 * position),
            exosome_source="platelet" if position % 3 == 0 else "",
        )
    small_url, large_url = (reverse(name, args=[plan.pk]) for plan in (small, large))
    desk_client.get(small_url)  # warm the session and role caches alike
    # The PDF also reads the plan's stamp and the shared cache, sets and clears the user's
    # render mark, looks the render up by its HTML and stores it under both keys; the page
    # reads the stamp and the cache and stores its sheet (planner.fragments). Emptied, so
    # both requests render (a kept PDF's or sheet's queries: test_summary_pdf_cache,
    # test_a_kept_summary_sheet_costs_no_plan_query).
    cache_queries = {"plan-summary-pdf": 19, "plan-summary": 7}.get(name, 0)

    # Session, user, permissions, plan (with the catalog's token), courses and the access log;
    # treatments, prices and study findings come from the cached catalog, and a plan never
    # accepted has no treatment record to read (the calendar reads its session records).
    cache.clear()
    bound = 6 + cache_queries + (name == "plan-calendar")
    with django_assert_max_num_queries(bound) as small_queries:
        assert desk_client.get(small_url).status_code == 200
    cache.clear()
    with django_assert_num_queries(len(small_queries)):
        assert desk_client.get(large_url).status_code == 200


def test_two_unpriced_courses_of_one_treatment_are_said_once(desk_client, catalog, patient):
    plan = PlanFactory(patient=patient)
    add_course(plan, catalog[LASER], first=date(2027, 1, 4), interval_unit="weeks")
    add_course(plan, catalog[LASER], position=1, first=date(2027, 9, 6), interval_unit="weeks")

    html = summary_html(desk_client, plan)

    assert html.count("No price is set for Fractional laser + topical exosome") == 1
    assert (
        "No price is set for Fractional laser + topical exosome, so 6 sessions are not priced."
        in html
    )
