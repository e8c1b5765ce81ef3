"""Who sees the day board, how staff reach it, and what it costs in queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from planner.board.views import day_board
from tests.planner.board import builders

pytestmark = pytest.mark.django_db
BOARD = reverse("day-board")
HOME = reverse("home")


@pytest.mark.parametrize("who", ["desk_client", "clinician_client", "admin_client_clinic"])
def test_every_role_sees_the_board(request, who):
    client = request.getfixturevalue(who)

    response = client.get(BOARD)

    assert response.status_code == 200
    assert "<h1>Today, " in response.content.decode()


def test_without_a_role_the_board_is_refused_and_home_asks_for_one(client, no_role_user):
    client.force_login(no_role_user)

    assert client.get(BOARD).status_code == 403
    home = client.get(HOME)
    assert home.status_code == 200
    assert "Your account has no clinic role yet" in home.content.decode()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(BOARD)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_board_only_reads(desk_client):
    assert desk_client.post(BOARD).status_code == 405
    assert day_board.required_permissions == ("planner.view_plan",)


def test_staff_home_is_the_board(desk_client):
    response = desk_client.get(HOME)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Today, " in html and 'id="sessions-h"' in html
    assert 'href="/" aria-current="page">Home</a>' in html


def test_the_home_tiles_stay_on_the_board(desk_client):
    desk = desk_client.get(BOARD).content.decode()
    assert 'class="tile" href="/catalog/"' in desk
    assert f'class="tile" href="{reverse("patient-list")}"' in desk
    assert 'class="tile" href="/admin/"' not in desk


def test_clinic_admins_keep_their_staff_and_admin_tiles(admin_client_clinic):
    admin = admin_client_clinic.get(BOARD).content.decode()
    assert f'class="tile" href="{reverse("staff-list")}"' in admin
    assert 'class="tile" href="/admin/"' in admin


def _world(catalog, staff, count: int) -> None:
    """`count` rows in every list of the board (sessions: `count` plans of one session)."""
    for n in range(count):
        builders.session_plan(catalog, staff=staff, days_ahead=(n % 8,))
        builders.link_for(builders.presented_plan(quoted_days=26), staff=staff, expires_in_days=3)
        builders.opened(builders.link_for(builders.presented_plan(), staff=staff))
        owing = builders.accepted_plan(staff=staff, deposit_due=Decimal("300"))
        builders.deposit(owing, "100", staff=staff)


def test_query_count_does_not_grow_with_the_rows(
    desk_client, front_desk, catalog, django_assert_num_queries
):
    _world(catalog, front_desk, 1)
    desk_client.get(BOARD)  # the session's own bookkeeping
    with CaptureQueriesContext(connection) as one:
        assert desk_client.get(BOARD).status_code == 200
    # Counted now: the captured slice is read from Django's query log, a bounded deque that
    # building 30 more of everything can roll over.
    queries = len(one)

    _world(catalog, front_desk, 30)  # more than a page of each list
    # Building the world wrote lots, which replaces the catalog's version: the board's first
    # read after a catalog write reloads the cached catalog (a fixed number of queries).
    desk_client.get(BOARD)
    with django_assert_num_queries(queries):
        html = desk_client.get(BOARD).content.decode()
    assert html.count('rel="next"') == 6  # every list has a second page
