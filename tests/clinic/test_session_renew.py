"""session-renew ("Stay signed in" on the idle warning) and the time-left the browser reads."""

from unittest import mock

from django.test import override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clinic.middleware import (
    SECONDS_LEFT_HEADER,
    SESSION_REFRESHED_KEY,
    session_seconds_left,
    stamp_new_session,
)

RENEW = reverse("session-renew")


def test_renew_anonymous_is_sent_to_login(client, db):
    response = client.post(RENEW)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_renew_get_is_refused(desk_client):
    assert desk_client.get(RENEW).status_code == 405


def test_renew_starts_the_idle_deadline_again(desk_client, settings):
    session = desk_client.session
    session[SESSION_REFRESHED_KEY] -= 30
    session.save()

    response = desk_client.post(RENEW)

    assert response.status_code == 204
    # The whole idle period again, plus the second's grace the browser waits past it.
    assert int(response[SECONDS_LEFT_HEADER]) == settings.SESSION_COOKIE_AGE + 1


def test_pages_say_how_long_is_left(desk_client, settings):
    response = desk_client.get(reverse("home"))
    left = int(response[SECONDS_LEFT_HEADER])
    assert settings.SESSION_COOKIE_AGE - 5 <= left <= settings.SESSION_COOKIE_AGE + 1
    assert f'data-seconds-left="{left}"' in response.content.decode()


def test_user_without_a_role_sees_no_links_that_lead_to_403(client, no_role_user):
    client.force_login(no_role_user)
    html = client.get(reverse("home")).content.decode()
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    for url in (reverse("patient-list"), reverse("plan-list"), reverse("catalog")):
        assert f'href="{url}"' not in nav


def test_front_desk_sees_the_planner_links(desk_client):
    html = desk_client.get(reverse("home")).content.decode()
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    for url in (reverse("patient-list"), reverse("plan-list"), reverse("catalog")):
        assert f'href="{url}"' in nav


class _Request:
    def __init__(self):
        self.session = {}


@given(
    stamped_at=st.floats(min_value=1e9, max_value=2e9, allow_nan=False),
    later=st.floats(min_value=0, max_value=840),
)
def test_the_browsers_deadline_is_never_before_the_session_really_ends(stamped_at, later):
    """Regression: the stamp was kept in whole seconds, so a page could report up to a second
    less than the session really had; the browser then reloaded a still-open session, got a
    page saying 0 seconds left, and reloaded again and again until it ended, throwing the
    editor's unsaved draft away on the way (tests/browser/test_idle_logoff.py, flaky)."""
    age = 900
    request = _Request()
    with override_settings(SESSION_COOKIE_AGE=age):
        with mock.patch("clinic.middleware.time.time", return_value=stamped_at):
            stamp_new_session(request)  # the session is saved, at the earliest, now
        rendered_at = stamped_at + later
        with mock.patch("clinic.middleware.time.time", return_value=rendered_at):
            left = session_seconds_left(request)
    session_ends = stamped_at + age
    assert rendered_at + left >= session_ends
    # ...and not much after it: the warning counts the last seconds down.
    assert rendered_at + left <= session_ends + 2
