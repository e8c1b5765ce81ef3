"""Any logged-in staff member changes their own password at /accounts/password/."""

import pytest
from django.test import Client
from django.urls import reverse

from clinic.passwords import PREDICTABLE_PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("password-change")
OLD = "correct-horse-battery"
NEW = "violet-harbour-anvil-42"


def change(client, old=OLD, new=NEW, again=None):
    return client.post(
        URL, {"old_password": old, "new_password1": new, "new_password2": again or new}
    )


def test_password_change_anonymous_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role_client", ["desk_client", "clinician_client", "admin_client_clinic"])
def test_password_change_page_in_app_layout_with_labelled_fields(request, role_client):
    html = request.getfixturevalue(role_client).get(URL).content.decode()

    assert 'class="site-header' in html
    for field in ("old_password", "new_password1", "new_password2"):
        assert f'<label for="id_{field}">' in html


def test_password_change_linked_in_header(desk_client):
    assert f'href="{URL}"' in desk_client.get(reverse("home")).content.decode()


def test_password_change_works_and_keeps_session(desk_client, front_desk):
    response = change(desk_client)

    assert response.status_code == 302
    assert response.url == reverse("password-changed")
    front_desk.refresh_from_db()
    assert front_desk.check_password(NEW)
    assert desk_client.get(reverse("home")).status_code == 200  # still logged in
    fresh = Client()
    assert fresh.post(reverse("login"), {"username": "desk", "password": NEW}).status_code == 302


def test_password_change_wrong_old_password_refused(desk_client, front_desk):
    response = change(desk_client, old="not my password")

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    front_desk.refresh_from_db()
    assert front_desk.check_password(OLD)


def test_password_change_predictable_new_password_refused(desk_client, front_desk):
    response = change(desk_client, new="qwertyuiopas")

    assert response.status_code == 200
    assert PREDICTABLE_PASSWORD in response.content.decode().replace("&#x27;", "'")
    front_desk.refresh_from_db()
    assert front_desk.check_password(OLD)
