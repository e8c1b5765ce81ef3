from datetime import date

import pytest
from playwright.sync_api import expect

from clinic.catalog_seed import LASER, MICRONEEDLING
from tests.factories.planner import CourseFactory, PlanFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan(catalog, patient):
    plan = PlanFactory(
        patient=patient,
        title="Skin quality plan",
        ready_by=date(2027, 4, 20),
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
        treatment=catalog[LASER],
        sessions=3,
        interval_count=6,
        interval_unit="weeks",
        first_session=date(2027, 3, 2),
    )
    return plan


def test_printed_summary_hides_navigation_and_buttons_and_shows_the_total(
    page, live_server, login, front_desk, plan
):
    login("desk")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.get_by_role("link", name="Patient summary").click()
    expect(page.get_by_role("heading", name="Skin quality plan")).to_be_visible()
    # With JavaScript on, the Print button appears in place of the hint.
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    expect(page.get_by_text("use your browser’s Print command")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.screenshot(path="/tmp/summary-screen.png", full_page=True)

    page.emulate_media(media="print")

    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("link", name="Download PDF")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to plan")).to_be_hidden()
    expect(page.locator("#summary-total")).to_be_visible()
    expect(page.locator("#summary-total")).to_have_text("USD 2,000–4,000")
    expect(page.get_by_text("This total is incomplete.")).to_be_visible()
    expect(page.get_by_text("Patient signature")).to_be_visible()
    page.screenshot(path="/tmp/summary-print.png", full_page=True)


def test_summary_buttons_lead_to_the_pdf_and_the_calendar(
    page, live_server, login, front_desk, plan
):
    login("desk")
    page.goto(f"{live_server.url}/plans/{plan.pk}/summary/")

    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download PDF").click()
    assert pdf.value.suggested_filename.startswith("summary-ada-example-")
    with page.expect_download() as ics:
        page.get_by_role("link", name="Calendar (.ics)").click()
    assert ics.value.suggested_filename.endswith(".ics")

    page.get_by_role("link", name="Back to plan").click()
    expect(page.get_by_role("heading", name="Skin quality plan")).to_be_visible()
