"""The clinic admin's reports page: every chart drawn with its table, at desktop, tablet and
phone widths and in print (screenshots and a PDF kept in SCREENSHOT_DIR when set)."""

import os

import pytest
from playwright.sync_api import expect

from planner.board import report_views
from tests.planner.board.example import TODAY, make_worked_example

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def test_clinic_admin_sees_each_chart_with_its_table(
    page, live_server, login, clinic_admin, clinician, catalog, patient, monkeypatch
):
    monkeypatch.setattr(report_views, "report_day", lambda: TODAY)
    make_worked_example(catalog, patient, clinician)
    login("clinicadmin")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The clinic's numbers")

    for slug in ("pipeline", "conversion", "ahead", "treatments", "products", "sessions"):
        section = page.locator(f"#report-{slug}")
        chart = section.locator("svg.chart:visible").first
        expect(chart).to_be_visible()
        expect(chart).to_have_attribute("role", "img")
        assert chart.bounding_box()["width"] > 200
        expect(section.locator("table caption")).to_be_visible()
    # The figures a chart draws are the ones its table lists.
    pipeline = page.locator("#report-pipeline")
    # USD and EUR, never added up; each drawn wide and narrow, one of them shown.
    expect(pipeline.locator("svg.chart:visible")).to_have_count(2)
    usd = pipeline.locator("svg[aria-labelledby='pipeline-USD-title pipeline-USD-desc']")
    expect(usd.locator("rect.bar")).to_have_count(
        2 * 5  # presented, accepted, completed, declined, cancelled: minimum and the rest
    )
    expect(pipeline.get_by_role("row", name="Accepted 2 USD 3,000–5,000")).to_be_visible()
    expect(page.locator("#report-conversion")).to_contain_text("6.0 days")

    # A period from the form.
    page.get_by_label("Period for treatment mix, products and sessions").select_option("3")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report-products")).to_contain_text("No session with a product")

    for width, height in ((1366, 900), (768, 1024), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        # No sideways scrolling of the page itself on a phone, and labels not shrunk much
        # below their size (the narrow drawing is shown in a narrow box).
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        chart = page.locator("#report-conversion svg.chart:visible")
        expect(chart).to_have_count(1)
        svg_width = float(chart.get_attribute("width"))
        assert chart.bounding_box()["width"] >= 0.7 * svg_width
        if SCREENSHOT_DIR:
            page.screenshot(
                path=os.path.join(SCREENSHOT_DIR, f"reports-{width}.png"), full_page=True
            )
    page.emulate_media(media="print")
    expect(page.locator("nav[aria-label='Main']")).to_be_hidden()
    expect(page.locator("#report-pipeline svg.chart:visible")).to_have_count(2)
    if SCREENSHOT_DIR:
        page.pdf(path=os.path.join(SCREENSHOT_DIR, "reports.pdf"))
