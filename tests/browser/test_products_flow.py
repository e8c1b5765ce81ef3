import pytest
from playwright.sync_api import expect

from tests.factories.clinic import ExosomeProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_records_a_warm_storage_reading_and_the_clinician_sees_it_in_the_planner(
    page, browser, live_server, login, clinic_admin, clinician, catalog, patient
):
    product = ExosomeProductFactory(name="Cord MSC serum")

    login("clinicadmin")
    page.goto(f"{live_server.url}/admin/clinic/productlot/add/")
    page.get_by_label("Product:").select_option(label=str(product))
    page.get_by_label("Lot number:").fill("K9")
    page.get_by_label("Received on:").fill("2026-10-01")
    page.get_by_label("Expires on:").fill("2027-12-01")
    page.get_by_label("Particle count (particles per mL):").fill("1000000000")
    page.get_by_label("Median size (nm):").fill("90")
    page.get_by_label("Surface markers:").fill("CD9, CD63")
    page.locator("input[name='storage_checks-0-checked_on']").fill("2026-10-05")
    page.locator("input[name='storage_checks-0-temperature_celsius']").fill("15")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Lot K9 was stored at 15 °C on 5 Oct 2026")).to_be_visible()

    clinician_page = browser.new_context().new_page()
    clinician_page.goto(f"{live_server.url}/accounts/login/")
    clinician_page.get_by_label("Username").fill("clinician")
    clinician_page.get_by_label("Password").fill("correct-horse-battery")
    clinician_page.get_by_role("button", name="Log in").click()
    clinician_page.goto(f"{live_server.url}/plans/new/?patient={patient.pk}")
    clinician_page.get_by_label("Title").fill("Serum course")
    clinician_page.get_by_label("Product").select_option(label=str(product))
    lot = clinician_page.get_by_label("Lot", exact=True)
    expect(lot.locator("option", has_text="K9")).to_have_count(1)
    lot.select_option(index=1)
    warning = clinician_page.get_by_text("Lot K9 was stored at 15 °C on 5 Oct 2026")
    expect(warning).to_be_visible()
    clinician_page.screenshot(path="/tmp/products-planner.png", full_page=True)
