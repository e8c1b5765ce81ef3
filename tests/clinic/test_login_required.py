"""Nothing is served to an anonymous visitor but the login page: a sweep over every URL the
project routes, so a view added later without protection fails here. Plus the login flow."""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
# Serve anonymous visitors on purpose: the two login pages.
ALLOWED_ANONYMOUS = {LOGIN, reverse("admin:login")}
# The patient's private signing link: no staff login, a token and the date of birth instead
# (tests/planner/signing/test_public_pages.py). Any token shows the same date-of-birth page.
PUBLIC_PATIENT_PAGES = {reverse("sign-link", args=["x"]), reverse("sign-plan", args=["x"])}
ADMIN_PREFIX = reverse("admin:index")
# The admin sends an anonymous visitor to a login page of its own choosing; either is fine.
ADMIN_LOGIN_PAGES = (f"{LOGIN}?next=", f"{reverse('admin:login')}?next=")
SAMPLE_BY_CONVERTER = {"IntConverter": "1", "PathConverter": "1", "UUIDConverter": None}
REGEX_SAMPLES = ("1", "x", "auth", "clinic")
PASSWORD = "correct-horse-battery"  # tests.factories.accounts.UserFactory's


def _route_sample(pattern: RoutePattern) -> str:
    def fill(match):
        converter = pattern.converters[match.group("name")]
        sample = SAMPLE_BY_CONVERTER.get(type(converter).__name__, "x")
        if sample is None:
            sample = "12345678-1234-5678-1234-567812345678"
        return sample

    return re.sub(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>", fill, str(pattern))


def _regex_sample(regex: str) -> str:
    """Replace each top-level group by a value its sub-pattern fully matches."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out, i = [], 0
    while i < len(regex):
        if regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
            continue
        if regex[i] != "(":
            out.append(regex[i])
            i += 1
            continue
        depth, j = 1, i + 1
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[j], 0)
            j += 1
        group = regex[i:j]
        sample = next(s for s in REGEX_SAMPLES if re.fullmatch(group, s))
        out.append(sample)
        i = j
    return "".join(out)


def _sample(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_sample(pattern)
    return _regex_sample(pattern.regex.pattern)


def every_url(patterns=None, prefix="/"):
    """(url, pattern) for every URL pattern, converters filled with sample values."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from every_url(entry.url_patterns, prefix + _sample(entry.pattern))
        else:
            assert isinstance(entry, URLPattern)
            yield prefix + _sample(entry.pattern), entry


ALL_URLS = sorted({url: entry for url, entry in every_url()}.items())


def test_sweep_covers_every_pattern():
    # Each sample URL resolves to the very pattern it was built from, so the sweep below
    # really exercises every view (and is not, say, all caught by the admin's catch-all).
    assert len(ALL_URLS) > 30
    for url, entry in ALL_URLS:
        assert resolve(url).func is entry.callback, url
    urls = {url for url, _ in ALL_URLS}
    assert {reverse("home"), reverse("catalog"), reverse("plan-list"), LOGIN} <= urls


def assert_sent_to_login(response, url):
    assert response.status_code == 302, f"{url} answered {response.status_code}"
    if url.startswith(ADMIN_PREFIX):
        assert response.url.startswith(ADMIN_LOGIN_PAGES), f"{url} -> {response.url}"
    else:
        assert response.url == f"{LOGIN}?next={quote(url)}", url


PROTECTED = [url for url, _ in ALL_URLS if url not in ALLOWED_ANONYMOUS | PUBLIC_PATIENT_PAGES]


def test_public_patient_pages_are_the_declared_ones_and_open():
    assert {url for url, _ in ALL_URLS} >= PUBLIC_PATIENT_PAGES
    for url in PUBLIC_PATIENT_PAGES:
        response = Client().get(url, follow=True)
        assert response.status_code == 200, url
        assert response.redirect_chain in ([], [(reverse("sign-link", args=["x"]), 302)])
        assert "date of birth" in response.content.decode()


@pytest.mark.parametrize("url", PROTECTED)
def test_anonymous_get_redirected_to_login(client, url):
    assert_sent_to_login(client.get(url), url)


@pytest.mark.parametrize("url", PROTECTED)
def test_anonymous_post_redirected_to_login(client, url):
    assert_sent_to_login(client.post(url, {"title": "x", "status": "final"}), url)


@pytest.mark.parametrize("url", sorted(ALLOWED_ANONYMOUS))
def test_login_pages_open_to_anonymous(client, url):
    assert client.get(url).status_code == 200


# The login flow, through the real login view


def test_login_page_has_labelled_fields(client):
    html = client.get(LOGIN).content.decode()

    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="username"' in html
    assert 'type="password"' in html


def test_login_right_password_lands_on_home(client, front_desk):
    response = client.post(LOGIN, {"username": "desk", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert response.context["user"] == front_desk
    assert "Welcome" in response.content.decode()


def test_login_returns_to_next_page(client, front_desk):
    response = client.post(
        LOGIN, {"username": "desk", "password": PASSWORD, "next": reverse("catalog")}
    )

    assert response.status_code == 302
    assert response.url == reverse("catalog")


def test_login_ignores_next_to_another_site(client, front_desk):
    response = client.post(
        LOGIN, {"username": "desk", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_wrong_password_shows_error(client, front_desk):
    response = client.post(LOGIN, {"username": "desk", "password": "wrong-password-here"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Please enter a correct username and password." in html
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_login_inactive_user_refused(client, front_desk):
    front_desk.is_active = False
    front_desk.save()

    response = client.post(LOGIN, {"username": "desk", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_by_post_ends_session(client, front_desk):
    client.post(LOGIN, {"username": "desk", "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == LOGIN
    assert client.get(reverse("home")).status_code == 302


def test_logout_by_get_refused(desk_client):
    # A link or an image on another page must not be able to log staff out.
    assert desk_client.get(reverse("logout")).status_code == 405
    assert desk_client.get(reverse("home")).status_code == 200


# Nothing either for a user who gave the password but not yet the second factor
# (tests/clinic/test_two_factor.py has the second step itself).

SECOND_STEP_OPEN = {reverse("two-factor-verify"), reverse("two-factor-enrol"), reverse("logout")}


@pytest.mark.parametrize("url", [url for url, _ in ALL_URLS if url not in SECOND_STEP_OPEN])
def test_user_without_second_factor_sent_to_the_second_step(client, clinic_admin, url):
    client.force_login(clinic_admin)  # the password step alone; clinic_admin has a device

    response = client.get(url)

    assert response.status_code == 302, url
    assert response.url == f"{reverse('two-factor-verify')}?next={quote(url)}", url
