"""Login lockout, idle logoff, absolute session lifetime, and the password rules."""

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.middleware import SESSION_REFRESHED_KEY, SESSION_STARTED_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, front_desk):
    for _ in range(4):
        response = attempt(client, "desk", "wrong password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    locked = attempt(client, "desk", "wrong password")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused while locked.
    again = attempt(client, "desk", "correct-horse-battery")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_so_colleagues_can_still_log_in(client, front_desk, clinician):
    for _ in range(5):
        attempt(client, "desk", "wrong password")
    response = attempt(client, "clinician", "correct-horse-battery")
    assert response.status_code == 302


def test_failed_and_successful_logins_are_logged(client, front_desk, caplog):
    with caplog.at_level("INFO", logger="clinic.auth"):
        attempt(client, "desk", "wrong password")
        attempt(client, "desk", "correct-horse-battery")
    messages = [r.getMessage() for r in caplog.records if r.name == "clinic.auth"]
    assert any(m.startswith("login failed: user=desk") for m in messages)
    assert any(m.startswith("login ok: user=desk") for m in messages)
    assert not any("wrong password" in m for m in messages)


def test_idle_session_expires_after_the_configured_minutes(client, front_desk, settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 == 15 * 60
    client.force_login(front_desk)
    assert client.get(reverse("catalog")).status_code == 200
    session = client.session
    session.set_expiry(-1)  # as if the idle time had passed
    session.save()
    response = client.get(reverse("catalog"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_activity_pushes_the_idle_deadline_forward(client, front_desk):
    client.force_login(front_desk)
    session = client.session
    session[SESSION_REFRESHED_KEY] = int(time.time()) - 120
    session.save()
    client.get(reverse("catalog"))
    assert client.session[SESSION_REFRESHED_KEY] >= int(time.time()) - 5


def test_session_ends_after_the_absolute_lifetime_however_active(client, front_desk, settings):
    client.force_login(front_desk)
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    response = client.get(reverse("catalog"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logout_ends_the_session(client, front_desk):
    client.force_login(front_desk)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("catalog")).status_code == 302


def test_a_disabled_users_sessions_end(client, front_desk):
    client.force_login(front_desk)
    front_desk.is_active = False
    front_desk.save()
    response = client.get(reverse("catalog"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_expired_session_on_an_htmx_request_sends_the_browser_to_login(client, front_desk):
    response = client.post(
        "/plans/new/?patient=1",
        {},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/plans/new/?patient=1"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(LOGIN + "?next=")


@pytest.mark.parametrize("password", ["short-pass", "123456789012", "password1234"])
def test_weak_passwords_are_refused(password, front_desk):
    with pytest.raises(ValidationError):
        validate_password(password, front_desk)


def test_a_long_unusual_password_is_accepted(front_desk):
    validate_password("violet-harbour-anvil-42", front_desk)
