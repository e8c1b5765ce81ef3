"""Every page in tests/pages.py validates with the Nu HTML checker: zero errors. The pages are
saved as the test client receives them and checked in one run of the checker."""

import pytest

from tests.a11y.nu import nu_errors
from tests.factories.accounts import force_verified_login
from tests.pages import ADMIN, ADMIN_FIRST_STEP, PAGES, make_world, post_data

pytestmark = pytest.mark.slow


def _client_for(client_class, username, users):
    client = client_class()
    if username == ADMIN_FIRST_STEP:
        client.force_login(users[ADMIN])
    elif username is not None:
        force_verified_login(client, users[username])
    return client


def test_every_page_validates(catalog, tmp_path, django_user_model):
    from django.test import Client

    world = make_world()
    users = {u.username: u for u in django_user_model.objects.all()}
    checked = []
    for number, page in enumerate(p for p in PAGES if p.nu):
        client = _client_for(Client, page.user, users)
        data = post_data(page, world)
        url = page.url(world)
        response = client.post(url, data) if data is not None else client.get(url)
        assert response.status_code == page.status, (page.name, response.status_code)
        slug = page.name.replace(" ", "-").replace(",", "")
        (tmp_path / f"{number:02d}-{slug}.html").write_bytes(response.content)
        checked.append(page.name)

    errors = nu_errors(tmp_path)
    assert errors == [], "\n".join(errors)
    assert len(checked) >= 25
