"""axe-core over every page in tests/pages.py and over each state of the plan editor: no
serious or critical violation. The editor's states are also saved and checked with the Nu
HTML checker (once, over all of them), since htmx changes the page after it loads."""

from collections import defaultdict

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.a11y.nu import nu_errors
from tests.browser.conftest import log_in
from tests.pages import ADMIN, ADMIN_FIRST_STEP, ANONYMOUS, PAGES, PASSWORD, make_world, post_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def signed_in_page(browser, base_url: str, user):
    page = browser.new_context().new_page()
    if user == ADMIN_FIRST_STEP:
        page.goto(f"{base_url}/accounts/login/")
        page.get_by_label("Username").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/accounts/two-factor/verify/**")
    elif user is not ANONYMOUS:
        log_in(page, base_url, user)
    return page


def submit_post(page, url: str, data: dict):
    """POST as the page's own form would, with its CSRF token, and show the answer."""
    page.goto(url)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    with page.expect_navigation():
        page.evaluate(
            """([url, data]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = url;
            for (const [name, value] of Object.entries(data)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.append(input);
            }
            document.body.append(form);
            setTimeout(() => form.submit(), 0);
        }""",
            [url, {**data, "csrfmiddlewaretoken": token}],
        )


def test_every_page_has_no_serious_accessibility_violation(browser, live_server, catalog):
    world = make_world()
    by_user = defaultdict(list)
    for entry in PAGES:
        by_user[entry.user].append(entry)
    found = {}
    for user, entries in by_user.items():
        page = signed_in_page(browser, live_server.url, user)
        for entry in entries:
            url = live_server.url + entry.url(world)
            data = post_data(entry, world)
            if data is None:
                page.goto(url)
            else:
                submit_post(page, url, data)
            violations = serious_violations(page)
            if violations:
                found[entry.name] = violations
        page.context.close()
    assert not found, "\n".join(f"{name}: {v}" for name, v in found.items())


def test_each_editor_state_is_accessible_and_valid(
    page, live_server, login, front_desk, catalog, patient, tmp_path
):
    login("desk")
    page.goto(f"{live_server.url}/plans/new/?patient={patient.pk}")
    states = {}
    sessions = page.get_by_label("Sessions", exact=True)

    sessions.fill("4")
    expect(page.locator("#plan-total")).to_have_text("USD 2,600–5,500")
    states["after recalculation"] = (serious_violations(page), page.content())

    sessions.fill("40")
    expect(page.get_by_text("Enter a number of sessions from 1 to 12.")).to_be_visible()
    expect(sessions).to_have_attribute("aria-invalid", "true")
    states["with an htmx error"] = (serious_violations(page), page.content())

    sessions.fill("3")
    expect(page.locator("#plan-total")).to_have_text("USD 2,000–4,000")
    page.get_by_role("button", name="Add a course").click()
    expect(page.get_by_role("group", name="Course 2")).to_be_visible()
    states["after Add"] = (serious_violations(page), page.content())

    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#error-summary")).to_be_focused()
    states["after a failed save"] = (serious_violations(page), page.content())

    for number, (name, (_, html)) in enumerate(states.items()):
        (tmp_path / f"{number}-{name.replace(' ', '-')}.html").write_text(html)
    found = {name: v for name, (v, _) in states.items() if v}
    assert not found, "\n".join(f"{name}: {v}" for name, v in found.items())
    errors = nu_errors(tmp_path)
    assert errors == [], "\n".join(errors)
