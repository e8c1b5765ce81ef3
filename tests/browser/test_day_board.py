"""The front desk starts its day on the board: after logging in they see today's session,
what blocks it and the quote waiting, and follow a row to the plan."""

import pytest
from playwright.sync_api import expect

from clinic.models import LotStatus
from tests.planner.board import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_opens_the_board_and_follows_a_session_to_its_plan(
    page, live_server, login, front_desk, catalog
):
    plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(0,), title="Glow course")
    lot = plan.courses.get().lot
    lot.status = LotStatus.QUARANTINED
    lot.save()
    builders.presented_plan(quoted_days=4, title="Waiting quote")
    patient = plan.patient.full_name

    login("desk")  # lands on "/", the board

    expect(page.get_by_role("heading", level=1)).to_contain_text("Today, ")
    today_table = page.get_by_role("table", name="(today)")
    row = today_table.get_by_role("row").filter(has_text=patient)
    expect(row).to_contain_text("session 1 of 1")
    expect(row).to_contain_text(f"Lot {lot.lot_number} has not been released for use")
    quotes = page.get_by_role("table", name="Presented plans not yet accepted or declined")
    expect(quotes.get_by_role("link", name="Waiting quote")).to_be_visible()
    expect(quotes).to_contain_text("4 days")

    row.get_by_role("link", name=patient).click()

    page.wait_for_url(f"{live_server.url}/plans/{plan.pk}/**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Glow course")
