"""A clinic admin creates a front-desk account on the Staff page, sees it locked out after
wrong passwords, unlocks it, and the new colleague logs in."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from clinic.roles import FRONT_DESK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "violet-harbour-anvil-42"


def test_clinic_admin_creates_front_desk_then_unlocks_lockout(
    page, live_server, login, clinic_admin
):
    login("clinicadmin")
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Add a staff member").click()

    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Last name").fill("Desk")
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("Role").select_option(label="Front desk")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account rosa created.")).to_be_visible()

    rosa = get_user_model().objects.get(username="rosa")
    assert set(rosa.groups.values_list("name", flat=True)) == {FRONT_DESK}
    assert not rosa.is_staff

    # Rosa mistypes her password five times and is locked out.
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "rosa", "password": "wrong password"})

    page.get_by_role("link", name="Staff", exact=True).click()
    row = page.get_by_role("row", name="rosa")
    expect(row.get_by_text("Locked out")).to_be_visible()
    row.get_by_role("link", name="Rosa Desk").click()
    page.get_by_role("button", name="Unlock rosa").click()
    expect(page.get_by_text("rosa can log in again.")).to_be_visible()
    expect(page.get_by_text("Login unlocked")).to_be_visible()  # in the audit log

    page.get_by_role("button", name="Log out").click()
    login("rosa", NEW_PASSWORD)
    expect(page.get_by_text("Welcome, Rosa Desk")).to_be_visible()
    expect(page.get_by_role("link", name="Staff", exact=True)).to_have_count(0)
