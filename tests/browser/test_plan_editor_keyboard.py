"""The plan editor by keyboard: where focus goes after Add and Remove, Enter recalculating in
place, and the error summary of a failed save."""

import pytest
from playwright.sync_api import expect

from planner.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(page, live_server, login, front_desk, catalog, patient):
    login("desk")
    page.goto(f"{live_server.url}/plans/new/?patient={patient.pk}")
    page.evaluate("window.notReloaded = true")
    return page


def course(page, number: int):
    return page.get_by_role("group", name=f"Course {number}", exact=True)


def test_add_moves_focus_to_the_new_courses_first_field(editor):
    editor.get_by_role("button", name="Add a course").focus()
    editor.keyboard.press("Enter")

    expect(course(editor, 2)).to_be_visible()
    expect(course(editor, 2).get_by_label("Treatment")).to_be_focused()
    assert editor.evaluate("window.notReloaded") is True


def test_remove_moves_focus_to_the_next_course(editor):
    # One add at a time: htmx drops a click on an element whose request is still in flight
    # (a slow server turned the second of two quick clicks into nothing).
    for number in (2, 3):
        editor.get_by_role("button", name="Add a course").click()
        expect(course(editor, number)).to_be_visible()
    course(editor, 2).get_by_label("Sessions", exact=True).fill("2")

    course(editor, 1).get_by_role("button", name="Remove course 1").focus()
    editor.keyboard.press("Enter")

    expect(course(editor, 3)).to_have_count(0)
    # The course that was second is now first, and has the focus.
    expect(course(editor, 1).get_by_label("Sessions", exact=True)).to_have_value("2")
    expect(course(editor, 1).get_by_label("Treatment")).to_be_focused()


def test_removing_the_last_course_moves_focus_to_add(editor):
    editor.get_by_role("button", name="Add a course").click()
    expect(course(editor, 2)).to_be_visible()

    course(editor, 2).get_by_role("button", name="Remove course 2").click()

    expect(course(editor, 2)).to_have_count(0)
    expect(editor.get_by_role("button", name="Add a course")).to_be_focused()


def test_enter_recalculates_through_htmx_and_keeps_focus(editor):
    sessions = editor.get_by_label("Sessions", exact=True)
    sessions.fill("4")
    with editor.expect_response(lambda r: r.request.method == "POST"):
        sessions.press("Enter")

    expect(editor.locator("#plan-total")).to_have_text("USD 2,600–5,500")
    expect(editor.locator("#total-line")).to_contain_text("Total USD 2,600–5,500 · 4 sessions")
    expect(sessions).to_be_focused()
    assert editor.evaluate("window.notReloaded") is True


def test_live_recalculation_error_marks_the_field(editor):
    sessions = editor.get_by_label("Sessions", exact=True)
    sessions.fill("40")

    expect(sessions).to_have_attribute("aria-invalid", "true")
    expect(sessions).to_have_accessible_description("Enter a number of sessions from 1 to 12.")
    expect(editor.locator("#total-line")).to_have_text(
        "Estimate out of date: fix the highlighted fields"
    )
    sessions.fill("3")
    expect(sessions).not_to_have_attribute("aria-invalid", "true")
    expect(editor.locator("#total-line")).to_contain_text("Total USD 2,000–4,000")


def test_failed_save_shows_a_focused_summary_linking_to_each_field(editor):
    editor.get_by_label("Sessions", exact=True).fill("40")
    editor.get_by_role("button", name="Save plan").click()

    summary = editor.get_by_role("alert").filter(has_text="Nothing was saved")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was saved: fix the 2 fields below.")
    summary.get_by_role("link", name="Course 1: Sessions").click()
    expect(editor.get_by_label("Sessions", exact=True)).to_be_focused()
    assert Plan.objects.count() == 0


def test_a_keyboard_user_builds_and_saves_a_two_course_plan(editor):
    editor.get_by_label("Title").fill("Two courses by keyboard")
    editor.get_by_role("button", name="Add a course").focus()
    editor.keyboard.press("Enter")
    expect(course(editor, 2).get_by_label("Treatment")).to_be_focused()
    editor.keyboard.press("Tab")
    expect(course(editor, 2).get_by_label("Sessions", exact=True)).to_be_focused()
    editor.keyboard.type("2")
    editor.keyboard.press("Enter")
    expect(course(editor, 2).get_by_label("Sessions", exact=True)).to_be_focused()
    editor.get_by_role("button", name="Save plan").focus()
    editor.keyboard.press("Enter")

    expect(editor.get_by_role("heading", name="Two courses by keyboard")).to_be_visible()
    assert Plan.objects.get().courses.count() == 2


def test_a_treatment_switch_that_invalidates_the_course_marks_the_estimate_stale(editor):
    expect(editor.locator("#total-line")).to_contain_text("Total USD 2,000–4,000")
    editor.get_by_label("Treatment").select_option(label="Fractional laser + topical exosome")

    expect(editor.locator("#total-line")).to_have_text(
        "Estimate out of date: fix the highlighted fields"
    )
    expect(editor.locator("#recalc-status")).to_contain_text("Fix the highlighted fields")
    expect(editor.get_by_label("Interval: every")).to_have_attribute("aria-invalid", "true")
