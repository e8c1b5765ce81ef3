"""Nothing is wider than the screen: every page at phone, tablet and laptop widths, and at
200 % zoom (a 1366 px screen at 200 % lays out like 683 px). Wide tables scroll inside their
own labelled, focusable wrapper instead of the page."""

import pytest

from tests.browser.test_accessibility import signed_in_page, submit_post
from tests.pages import ADMIN, PAGES, make_world, post_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 683, 768, 1366)
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")].filter((e) => {
        const box = e.getBoundingClientRect();
        if (box.width === 0 || box.right <= width + 1) return false;
        // Inside a scroll wrapper is fine: the wrapper itself fits.
        for (let p = e.parentElement; p; p = p.parentElement) {
            const scrolls = ["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX);
            if (scrolls && p.getBoundingClientRect().right <= width + 1) return false;
        }
        return true;
    });
    return {scroll: document.documentElement.scrollWidth, width,
            wide: wide.slice(0, 3).map((e) => `${e.tagName}#${e.id}.${e.className}`)};
}"""


def test_no_page_is_wider_than_the_screen(browser, live_server, catalog):
    world = make_world()
    too_wide = {}
    by_user = {}
    for entry in PAGES:
        by_user.setdefault(entry.user, []).append(entry)
    for user, entries in by_user.items():
        page = signed_in_page(browser, live_server.url, user)
        for entry in entries:
            if not entry.nu and entry.name not in {"admin treatment", "admin plan"}:
                continue
            widths = (1366,) if user == ADMIN and not entry.nu else WIDTHS
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                url = live_server.url + entry.url(world)
                data = post_data(entry, world)
                if data is None:
                    page.goto(url)
                else:
                    submit_post(page, url, data)
                measured = page.evaluate(OVERFLOW)
                if measured["scroll"] > measured["width"] or measured["wide"]:
                    too_wide[f"{entry.name} @ {width}"] = measured
        page.context.close()
    assert not too_wide, "\n".join(f"{k}: {v}" for k, v in too_wide.items())


def test_the_deposits_table_fits_a_phone(page, live_server, login, catalog, patient, front_desk):
    """An accepted plan with a deposit: its table (five columns) made the whole plan page
    wider than a 390 px screen; it scrolls in its own wrapper like the other wide tables."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from clinic.catalog_seed import MICRONEEDLING
    from planner import actions
    from planner.models import PlanStatus
    from planner.signing import actions as signing
    from tests.factories.planner import make_plan
    from tests.helpers import sign_as_patient

    plan = make_plan(patient, catalog[MICRONEEDLING], title="Glow plan")
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    sign_as_patient(plan, staff=front_desk)
    plan.refresh_from_db()
    signing.deposit_record(
        plan=plan,
        amount=Decimal("250"),
        received_on=timezone.localdate() - timedelta(days=1),
        method="transfer",
        reference="TRANSFER-REF-000123",
        user=front_desk,
        expected_version=plan.version,
    )

    login("desk")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    measured = page.evaluate(OVERFLOW)
    assert measured["scroll"] <= measured["width"] and not measured["wide"], measured
