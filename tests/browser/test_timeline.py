"""The timeline in the plan editor follows every recalculation, and reads at desktop, tablet
and phone widths (screenshots kept in SCREENSHOT_DIR when set, for a person to look at)."""

import os

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def shoot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)


def test_timeline_in_the_editor_redraws_after_a_change(
    page, live_server, login, front_desk, catalog, patient
):
    login("desk")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Title").fill("Skin quality")
    page.get_by_label("Treatment").select_option(label="Microneedling + topical exosome")
    sessions = page.get_by_label("Sessions", exact=True)
    sessions.fill("3")

    # The side panel is narrow: the narrow drawing is the one shown.
    timeline = page.locator("svg.timeline:visible")
    expect(timeline).to_have_count(1)
    expect(timeline.locator("path.session")).to_have_count(3)
    expect(timeline).to_have_attribute("role", "img")
    expect(timeline.locator("desc")).to_contain_text("results keep developing")

    sessions.fill("5")
    expect(timeline.locator("path.session")).to_have_count(5)
    # Drawn 460 units wide: labels are not shrunk much below their size in the panel.
    box = timeline.bounding_box()
    assert box["width"] >= 0.75 * 460

    for width, height in ((1366, 900), (768, 1024), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        timeline.scroll_into_view_if_needed()
        shoot(page, f"editor-timeline-{width}")
