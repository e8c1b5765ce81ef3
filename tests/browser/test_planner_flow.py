import re

import pytest
from playwright.sync_api import expect

from planner.models import Plan, PlanStatus
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_builds_saves_and_presents_a_plan_that_keeps_its_frozen_price(
    page, browser, live_server, login, front_desk, clinic_admin, catalog, patient
):
    login("desk")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="New plan").click()
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Title").fill("Skin quality, option A")
    page.get_by_label("Treatment").select_option(label="Microneedling + topical exosome")
    sessions = page.get_by_label("Sessions", exact=True)
    sessions.fill("1")
    expect(page.locator("#plan-total")).to_have_text("USD 600–1,500")
    sessions.fill("3")
    expect(page.locator("#plan-total")).to_have_text("USD 2,000–4,000")
    sessions.fill("4")
    expect(page.locator("#plan-total")).to_have_text("USD 2,600–5,500")
    sessions.fill("40")
    expect(page.get_by_text("Enter a number of sessions from 1 to 12.")).to_be_visible()
    # The last good estimate stays while the field is wrong.
    expect(page.locator("#plan-total")).to_have_text("USD 2,600–5,500")
    sessions.fill("3")
    expect(page.locator("#plan-total")).to_have_text("USD 2,000–4,000")
    expect(page.get_by_text("Enter a number of sessions from 1 to 12.")).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("heading", name="Skin quality, option A")).to_be_visible()
    page.get_by_role("button", name="Present to patient").click()
    expect(page.get_by_text("Plan marked presented.")).to_be_visible()
    expect(page.locator("#plan-total")).to_have_text("USD 2,000–4,000")
    plan_url = page.url

    # The clinic admin raises the series price in the admin.
    admin_page = browser.new_context().new_page()
    log_in(admin_page, live_server.url, "clinicadmin")
    admin_page.goto(f"{live_server.url}/admin/clinic/pricerange/")
    series_row = admin_page.locator("tr", has_text="Series of 3 sessions")
    series_row.get_by_role("link", name=re.compile("Microneedling")).click()
    expect(admin_page.get_by_label("Sessions in the series:")).to_have_value("3")
    admin_page.get_by_label("Minimum:").fill("2500")
    admin_page.get_by_role("button", name="Save", exact=True).click()
    expect(admin_page.get_by_text("was changed successfully")).to_be_visible()

    page.goto(plan_url)
    expect(page.locator("#plan-total")).to_have_text("USD 2,000–4,000")
    expect(page.get_by_text("Today’s prices differ")).to_be_visible()
    expect(page.get_by_text("USD 2,500–4,000")).to_be_visible()
    assert Plan.objects.get().status == PlanStatus.PRESENTED


def test_investigational_course_blocks_presentation_for_front_desk(
    page, live_server, login, front_desk, catalog, patient
):
    login("desk")
    page.goto(f"{live_server.url}/plans/new/?patient={patient.pk}")
    page.get_by_label("Title").fill("With injectable")
    page.get_by_role("button", name="Add a course").click()
    expect(page.get_by_role("group", name="Course 2")).to_be_visible()
    course2 = page.get_by_role("group", name="Course 2")
    injectable = "Injectable MSC exosome (investigational)"
    course2.get_by_label("Treatment").select_option(label=injectable)
    course2.get_by_label("Interval: every").fill("4")
    course2.get_by_label("Interval unit").select_option("weeks")
    expect(page.get_by_text("Investigational treatment.").first).to_be_visible()
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("heading", name="With injectable")).to_be_visible()

    # The guardrail will refuse: the button is disabled and says why beside it.
    present = page.get_by_role("button", name="Present to patient")
    expect(present).to_be_disabled()
    expect(present).to_have_accessible_description(re.compile("A clinician must record the IND"))
    expect(page.get_by_text("Only a clinician can record")).to_be_visible()
    assert Plan.objects.get().status == PlanStatus.DRAFT
    page.screenshot(path="/tmp/guardrail.png", full_page=True)


def test_enter_in_a_field_recalculates_and_never_removes_a_course(
    page, live_server, login, front_desk, catalog, patient
):
    login("desk")
    page.goto(f"{live_server.url}/plans/new/?patient={patient.pk}")
    page.get_by_role("button", name="Add a course").click()
    expect(page.get_by_role("group", name="Course 2")).to_be_visible()
    page.get_by_label("Title").fill("Two courses")
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.get_by_label("Title").press("Enter")
    assert "action=recalculate" in (posted.value.post_data or "")
    page.wait_for_load_state()
    expect(page.locator("legend", has_text=re.compile(r"^Course \d+$"))).to_have_count(2)
    expect(page.get_by_label("Title")).to_have_value("Two courses")


def test_presenting_with_open_warnings_asks_first_naming_them(
    page, live_server, login, front_desk, catalog, patient
):
    from clinic.catalog_seed import MICRONEEDLING
    from tests.factories.planner import CourseFactory, make_plan

    plan = make_plan(patient, catalog[MICRONEEDLING], title="Overlapping")
    first = plan.courses.get()
    CourseFactory(
        plan=plan, position=1, treatment=catalog[MICRONEEDLING], first_session=first.first_session
    )
    login("desk")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Present to patient").click()
    page.wait_for_timeout(300)
    assert "Present to patient with" in asked[0]
    assert "falls within the downtime" in asked[0]
    assert Plan.objects.get().status == PlanStatus.DRAFT

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Present to patient").click()
    expect(page.get_by_text("Plan marked presented.")).to_be_visible()
