"""The second factor: the step after the password, enrolment (forced for clinic admins),
recovery codes, a clinic admin's reset, and the lockout after wrong codes."""

import re
import time
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import escape
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import two_factor
from clinic.otp_views import WRONG_CODE, WRONG_ENROL_CODE
from clinic.roles import CLINIC_ADMIN
from tests.factories.accounts import (
    TOTPDeviceFactory,
    UserFactory,
    force_verified_login,
    totp_code,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
VERIFY = reverse("two-factor-verify")
ENROL = reverse("two-factor-enrol")
SECURITY = reverse("two-factor")
RECOVERY = reverse("two-factor-recovery-codes")
PASSWORD = "correct-horse-battery"  # tests.factories.accounts.UserFactory's


def password_step(client, username):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return response


def code_step(client, code, next_url=""):
    return client.post(VERIFY, {"code": code, "next": next_url})


def shown_recovery_codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())


@pytest.fixture
def desk_device(front_desk):
    return TOTPDeviceFactory(user=front_desk)


@pytest.fixture
def admin_device(clinic_admin):
    return TOTPDevice.objects.get(user=clinic_admin)


# The second step


def test_user_with_device_is_asked_for_a_code_before_any_page(client, front_desk, desk_device):
    password_step(client, "desk")

    for url in (reverse("home"), reverse("catalog"), reverse("patient-list"), SECURITY):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"{VERIFY}?next={quote(url)}", url
    page = client.get(VERIFY)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert '<label for="id_code">' in html


def test_htmx_request_of_unverified_user_sends_browser_to_second_step(
    client, front_desk, desk_device
):
    password_step(client, "desk")

    response = client.get(
        reverse("catalog"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/"},
    )

    assert response["HX-Redirect"] == f"{VERIFY}?next=/patients/"


def test_valid_code_verifies_the_session_and_returns_to_next(client, front_desk, desk_device):
    password_step(client, "desk")

    response = code_step(client, totp_code(desk_device), next_url=reverse("catalog"))

    assert response.status_code == 302
    assert response.url == reverse("catalog")
    assert client.get(reverse("catalog")).status_code == 200
    assert client.get(VERIFY).status_code == 302  # nothing left to verify


def test_code_at_a_fixed_time_is_accepted_within_the_apps_clock_tolerance(
    client, front_desk, desk_device
):
    totp = TOTP(desk_device.bin_key, desk_device.step, desk_device.t0, desk_device.digits)
    totp.time = time.time() - desk_device.step  # the app's clock 30 s slow
    password_step(client, "desk")

    assert code_step(client, f"{totp.token():06d}").status_code == 302


def test_wrong_code_is_refused_with_a_clear_message(client, front_desk, desk_device):
    password_step(client, "desk")

    response = code_step(client, "000000" if totp_code(desk_device) != "000000" else "111111")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert escape(WRONG_CODE) in html
    assert client.get(reverse("home")).status_code == 302


def test_a_code_is_accepted_only_once(client, front_desk, desk_device):
    code = totp_code(desk_device)
    password_step(client, "desk")
    assert code_step(client, code).status_code == 302
    client.post(reverse("logout"))

    password_step(client, "desk")
    assert code_step(client, code).status_code == 200


def test_logout_works_during_the_second_step(client, front_desk, desk_device):
    password_step(client, "desk")

    assert client.post(reverse("logout")).url == LOGIN
    assert "_auth_user_id" not in client.session


# Recovery codes


def test_recovery_code_works_once(client, front_desk, desk_device):
    codes = two_factor.recovery_codes_regenerate(user=front_desk)
    assert len(codes) == len(set(codes)) == 10

    password_step(client, "desk")
    assert code_step(client, codes[0].upper()).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert two_factor.recovery_codes_left(front_desk) == 9
    client.post(reverse("logout"))

    password_step(client, "desk")
    response = code_step(client, codes[0])
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_regenerating_recovery_codes_cancels_the_old_ones(admin_client_clinic, clinic_admin):
    old = two_factor.recovery_codes_regenerate(user=clinic_admin)

    response = admin_client_clinic.post(RECOVERY)

    new = shown_recovery_codes(response)
    assert response.status_code == 200
    assert "no-store" in {d.strip() for d in response["Cache-Control"].split(",")}
    assert len(new) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)


def test_recovery_codes_cannot_be_made_by_get(admin_client_clinic):
    assert admin_client_clinic.get(RECOVERY).status_code == 405


# Enrolment


def enrol(client, user) -> list[str]:
    page = client.get(ENROL)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"code": totp_code(device)})
    assert response.status_code == 200
    return shown_recovery_codes(response)


def test_clinic_admin_without_device_is_forced_to_enrol(client):
    admin = UserFactory(username="newadmin", is_staff=True)
    admin.groups.add(Group.objects.get(name=CLINIC_ADMIN))
    password_step(client, "newadmin")

    for url in (reverse("home"), reverse("catalog"), SECURITY, reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"{ENROL}?next="), url

    page = client.get(ENROL)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert '<div class="qr-code" role="img"' in html
    assert "<svg" in html and "<script>" not in html
    assert two_factor.secret_for_manual_entry(device) in html

    wrong = client.post(ENROL, {"code": "12345"})
    assert escape(WRONG_ENROL_CODE) in wrong.content.decode()
    assert 'role="alert"' in wrong.content.decode()

    codes = enrol(client, admin)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=admin).confirmed
    assert client.get(reverse("home")).status_code == 200


def test_superuser_without_device_is_forced_to_enrol(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    password_step(client, "root")

    assert client.get(reverse("home")).url.startswith(ENROL)


def test_enrol_page_keeps_the_same_secret_across_reloads(client, front_desk):
    client.force_login(front_desk)

    first = client.get(ENROL).content.decode()
    second = client.get(ENROL).content.decode()

    assert TOTPDevice.objects.filter(user=front_desk).count() == 1
    secret = two_factor.secret_for_manual_entry(TOTPDevice.objects.get(user=front_desk))
    assert secret in first and secret in second


def test_front_desk_without_device_uses_the_app_and_may_enrol(client, front_desk):
    password_step(client, "desk")
    assert client.get(reverse("home")).status_code == 200
    security = client.get(SECURITY).content.decode()
    assert "Off: your password alone opens your account." in security
    assert f'href="{SECURITY}"' in client.get(reverse("home")).content.decode()

    enrol(client, front_desk)
    assert "Recovery codes left: <strong>10</strong>" in client.get(SECURITY).content.decode()
    client.post(reverse("logout"))

    password_step(client, "desk")
    assert client.get(reverse("home")).url.startswith(VERIFY)


def test_enrolled_user_cannot_enrol_over_their_device(admin_client_clinic):
    assert admin_client_clinic.get(ENROL).url == SECURITY


# Reset by a clinic admin


def test_clinic_admin_resets_a_colleagues_second_factor(
    admin_client_clinic, clinic_admin, front_desk, desk_device, caplog
):
    two_factor.recovery_codes_regenerate(user=front_desk)
    url = reverse("staff-two-factor-reset", args=[front_desk.pk])

    page = admin_client_clinic.get(url)
    assert page.status_code == 200
    assert "Reset second factor" in page.content.decode()
    with caplog.at_level("INFO", logger="clinic.auth"):
        response = admin_client_clinic.post(url)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=front_desk).exists()
    assert two_factor.recovery_codes_left(front_desk) == 0
    assert any(
        r.getMessage() == "two-factor reset: user=desk by=clinicadmin devices=2"
        for r in caplog.records
    )


def test_reset_admin_must_enrol_again_at_next_login(admin_client_clinic, client, clinic_admin):
    other = UserFactory(username="otheradmin", is_staff=True)
    other.groups.add(Group.objects.get(name=CLINIC_ADMIN))
    TOTPDeviceFactory(user=other)

    admin_client_clinic.post(reverse("staff-two-factor-reset", args=[other.pk]))

    password_step(client, "otheradmin")
    assert client.get(reverse("home")).url.startswith(ENROL)


def test_reset_ends_the_verified_state_of_the_users_sessions(client, front_desk, desk_device):
    force_verified_login(client, front_desk)
    assert client.get(reverse("home")).status_code == 200

    two_factor.two_factor_reset(user=front_desk, by=front_desk)

    # A front desk needs no second factor, so the session carries on without one.
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_reset_refused_to_staff_who_are_not_clinic_admins(
    client, request, role, clinic_admin, admin_device
):
    client.force_login(request.getfixturevalue(role))
    url = reverse("staff-two-factor-reset", args=[clinic_admin.pk])

    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()


def test_reset_of_unknown_user_is_404(admin_client_clinic):
    url = reverse("staff-two-factor-reset", args=[99999])

    assert admin_client_clinic.post(url).status_code == 404


# Lockout


def test_five_wrong_codes_lock_the_account(client, front_desk, desk_device):
    password_step(client, "desk")
    for _ in range(4):
        assert code_step(client, "999999x").status_code == 200

    locked = code_step(client, "999999x")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The password is refused too until the cool-off, and a colleague is not affected.
    refused = client.post(LOGIN, {"username": "desk", "password": PASSWORD})
    assert refused.status_code == 429


def test_a_correct_password_does_not_reset_the_count_of_wrong_codes(
    client, front_desk, desk_device
):
    password_step(client, "desk")
    for _ in range(3):
        code_step(client, "999999x")
    client.post(reverse("logout"))

    password_step(client, "desk")
    assert code_step(client, "999999x").status_code == 200
    assert code_step(client, "999999x").status_code == 429


def test_a_complete_login_resets_the_count(client, front_desk, desk_device):
    password_step(client, "desk")
    for _ in range(4):
        code_step(client, "999999x")
    assert code_step(client, totp_code(desk_device)).status_code == 302
    client.post(reverse("logout"))

    password_step(client, "desk")
    for _ in range(4):
        assert code_step(client, "999999x").status_code == 200


def test_wrong_codes_are_logged_as_failed_logins(client, front_desk, desk_device, caplog):
    password_step(client, "desk")
    with caplog.at_level("INFO", logger="clinic.auth"):
        code_step(client, "999999x")
    messages = [r.getMessage() for r in caplog.records if r.name == "clinic.auth"]
    assert any(m.startswith("login failed: user=desk") for m in messages)
    assert "two-factor failed: user=desk" in messages
