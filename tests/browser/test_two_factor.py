"""A clinic admin's first login: sent to enrolment, sets up the app from the secret shown,
keeps the recovery codes, and signs in with password and code from then on."""

from base64 import b32decode

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import TOTP
from playwright.sync_api import expect

from clinic.roles import CLINIC_ADMIN
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the secret typed in by hand."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time += steps_ahead * totp.step
    return f"{totp.token():06d}"


def test_clinic_admin_enrols_then_logs_in_with_a_code(page, live_server):
    admin = UserFactory(username="newadmin", is_staff=True)
    admin.groups.add(Group.objects.get(name=CLINIC_ADMIN))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("newadmin")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name="QR code of the secret key below")).to_be_visible()
    secret = page.locator("#otp-secret").inner_text()
    page.goto(f"{live_server.url}/catalog/")  # nothing else until enrolled
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()

    page.get_by_label("6-digit code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    page.get_by_role("link", name="I have kept them; continue").click()
    page.wait_for_url(f"{live_server.url}/catalog/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")

    page.get_by_label("Username").fill("newadmin")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    page.get_by_label("Code from the app, or a recovery code").fill("000000x")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    # The code used at enrolment is spent; the app's next one is accepted.
    page.get_by_label("Code from the app, or a recovery code").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Account security").click()
    expect(page.get_by_text("Recovery codes left:")).to_contain_text("10")
