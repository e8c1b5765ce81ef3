"""A whole course in the browser: accept, perform session 1 with a lot, reschedule session 2
and see session 3 move, a warm storage reading refuses session 3, recall the lot and find the
patient on the recall page and in its CSV."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import LotStatus
from planner import actions
from planner.delivery.models import TreatmentSession
from planner.models import PlanStatus
from tests.browser.conftest import log_in
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import make_plan
from tests.helpers import sign_as_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_course_from_acceptance_to_recall(
    page, browser, live_server, login, clinician, clinic_admin, catalog, patient
):
    today = timezone.localdate()
    product = ExosomeProductFactory(name="Exo Serum")
    lot = ProductLotFactory(
        product=product,
        lot_number="EXO-77",
        received_on=today - timedelta(days=120),
        expires_on=today + timedelta(days=300),
        status=LotStatus.RELEASED,
    )
    # A course recorded after the fact: three sessions two weeks apart, the first 70 days ago.
    plan = make_plan(
        patient,
        catalog[MICRONEEDLING],
        sessions=3,
        interval_count=2,
        interval_unit="weeks",
        title="Glow course",
    )
    plan.courses.update(product=product, lot=lot, first_session=today - timedelta(days=70))
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=1
    )

    # The patient accepts by signing the plan's consent (tests/browser/test_signing.py drives
    # those pages); accepting creates the session records.
    sign_as_patient(plan, staff=clinician)

    login("clinician")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    expect(page.locator("tr.session-planned")).to_have_count(3)

    # Session 1, performed on its day with the lot.
    page.locator("tr", has_text="1 of 3").get_by_role("link", name="Perform").click()
    page.get_by_label("Lot used").select_option(
        label=f"EXO-77 (released for use, expires {lot.expires_on.day} {lot.expires_on:%b %Y})"
    )
    page.get_by_role("button", name="Record as performed").click()
    expect(page.get_by_text("Session 1 recorded as performed.")).to_be_visible()
    expect(page.locator(".plan-head .status")).to_have_text("In progress")

    # Session 2 moves six days later: the preview shows session 3 moving too.
    third = TreatmentSession.objects.get(plan=plan, number=3)
    page.locator("tr", has_text="2 of 3").get_by_role("link", name="Reschedule").click()
    new_date = today - timedelta(days=50)
    page.get_by_label("New date").fill(new_date.isoformat())
    page.get_by_role("button", name="Show what moves").click()
    moves = page.locator("table.moves")
    expect(moves).to_contain_text("Session 2")
    expect(moves).to_contain_text("Session 3")
    page.get_by_role("button", name="Confirm the new dates").click()
    expect(page.get_by_text("Session 2 rescheduled.")).to_be_visible()
    third.refresh_from_db()
    assert third.planned_date == new_date + timedelta(weeks=2)

    # A warm reading before session 3, recorded on the lot page: its performance is refused.
    page.locator("tr", has_text="1 of 3").get_by_role("link", name="EXO-77").click()
    page.get_by_label("Read on").fill((third.planned_date - timedelta(days=1)).isoformat())
    page.get_by_label("Temperature (°C)").fill("14")
    page.get_by_role("button", name="Record the reading").click()
    expect(page.get_by_text("Storage reading recorded.")).to_be_visible()
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.locator("tr", has_text="3 of 3").get_by_role("link", name="Perform").click()
    page.get_by_role("button", name="Record as performed").click()
    expect(page.get_by_text("The lot fails its check on the session date")).to_be_visible()
    expect(page.get_by_text("was stored at 14")).to_be_visible()
    third.refresh_from_db()
    assert third.status == "planned"

    # The clinic admin recalls the lot and finds the patient, on the page and in the CSV.
    admin_page = browser.new_context(accept_downloads=True).new_page()
    log_in(admin_page, live_server.url, "clinicadmin")
    admin_page.goto(f"{live_server.url}/lots/")
    admin_page.get_by_role("link", name="EXO-77").click()
    admin_page.get_by_label("Recall reason").fill("Manufacturer recall notice 2026-11")
    admin_page.get_by_role("button", name="Mark the lot recalled").click()
    expect(admin_page.get_by_text("Lot EXO-77 marked recalled.")).to_be_visible()
    recall_table = admin_page.locator("table.recall-patients")
    expect(recall_table).to_contain_text(patient.full_name)
    expect(recall_table).to_contain_text(patient.phone)
    with admin_page.expect_download() as download:
        admin_page.get_by_role("link", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert patient.full_name in csv_text
