"""The editor's layout: the total stays in view on a tablet while a course is edited, the
interval unit is never cut off, and the focus ring keeps 3:1 contrast."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTRAST = """(element) => {
    const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = (c) => {
        const [r, g, b] = rgb(c).map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let bg = null;
    for (let p = element.parentElement; p && !bg; p = p.parentElement) {
        const c = getComputedStyle(p).backgroundColor;
        if (c && !c.endsWith(", 0)") && c !== "transparent") bg = c;
    }
    bg = bg || "rgb(255, 255, 255)";
    const ring = getComputedStyle(element).outlineColor;
    const [a, b] = [lum(ring), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""


@pytest.fixture
def editor(page, live_server, login, front_desk, catalog, patient):
    login("desk")
    return lambda: page.goto(f"{live_server.url}/plans/new/?patient={patient.pk}")


def test_total_stays_in_view_on_a_tablet_while_editing_a_course(page, editor):
    page.set_viewport_size({"width": 768, "height": 1024})
    editor()
    page.get_by_role("button", name="Add a course").click()
    course2 = page.get_by_role("group", name="Course 2", exact=True)
    sessions = course2.get_by_label("Sessions", exact=True)
    sessions.fill("1")

    expect(page.locator("#total-line")).to_contain_text("Total USD 2,600–5,500")
    expect(page.locator("#total-line")).to_be_in_viewport()
    expect(sessions).to_be_in_viewport()


@pytest.mark.parametrize("width", [390, 683, 768, 1366])
def test_interval_unit_is_never_cut_off(page, editor, width):
    page.set_viewport_size({"width": width, "height": 900})
    editor()
    unit = page.get_by_label("Interval unit")
    unit.select_option("months")
    assert unit.evaluate("(s) => s.scrollWidth <= s.clientWidth")
    # Wide enough for the chosen option's text plus the arrow.
    text_width = unit.evaluate(
        """(s) => { const c = document.createElement("canvas").getContext("2d");
                    c.font = getComputedStyle(s).font;
                    return c.measureText(s.selectedOptions[0].text).width; }"""
    )
    assert unit.evaluate("(s) => s.clientWidth") >= text_width + 20


@pytest.mark.parametrize(
    "target",
    ["Add a course", "Save plan", "Log out"],
)
def test_focus_ring_has_3_to_1_contrast(page, editor, target):
    editor()
    button = page.get_by_role("button", name=target)
    button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    assert button.evaluate(CONTRAST) >= 3


@pytest.mark.parametrize("width", [390, 1366])
def test_indication_checkboxes_keep_one_size_whatever_their_labels_length(page, editor, width):
    """A long indication wraps its label; its checkbox must not shrink beside it (they came
    out 13 to 18 px wide, each label starting at a different place)."""
    page.set_viewport_size({"width": width, "height": 900})
    editor()
    boxes = page.locator("#plan-form fieldset.checkboxes input[type=checkbox]")
    widths = boxes.evaluate_all("(all) => all.map((b) => b.getBoundingClientRect().width)")
    assert len(widths) == 5
    assert max(widths) - min(widths) < 0.5, widths
