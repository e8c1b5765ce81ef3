import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from clinic.models import PriceRange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def test_clinic_admin_edits_price_and_sees_min_above_max_rejected(
    page, live_server, login, clinic_admin, catalog
):
    login("clinicadmin")
    page.get_by_role("link", name="Admin").first.click()
    page.get_by_role("link", name="Price ranges").click()
    expect(page.get_by_text("Series of 3 sessions")).to_be_visible()
    page.get_by_role("link", name=re.compile("Microneedling")).first.click()

    page.get_by_label("Minimum:").fill("5000")
    page.get_by_label("Maximum:").fill("4000")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The minimum cannot be more than the maximum.")).to_be_visible()

    page.get_by_label("Minimum:").fill("650")
    page.get_by_label("Maximum:").fill("1500")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert PriceRange.objects.filter(minimum=650).count() == 1


def test_login_home_and_catalog_have_no_serious_accessibility_violations(
    page, live_server, login, front_desk, catalog
):
    page.goto(f"{live_server.url}/accounts/login/")
    assert serious_violations(page) == []
    login("desk")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Catalog").first.click()
    expect(page.get_by_role("heading", name="Treatment catalog")).to_be_visible()
    expect(page.get_by_text("USD 2,000–4,000")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path="/tmp/catalog.png", full_page=True)
