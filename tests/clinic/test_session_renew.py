"""session-renew ("Stay signed in" on the idle warning) and the time-left the browser reads."""

from django.urls import reverse

from clinic.middleware import SECONDS_LEFT_HEADER, SESSION_REFRESHED_KEY

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
    assert int(response[SECONDS_LEFT_HEADER]) == settings.SESSION_COOKIE_AGE


def test_pages_say_how_long_is_left(desk_client, settings):
    response = desk_client.get(reverse("home"))
    left = int(response[SECONDS_LEFT_HEADER])
    assert settings.SESSION_COOKIE_AGE - 5 <= left <= settings.SESSION_COOKIE_AGE
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
