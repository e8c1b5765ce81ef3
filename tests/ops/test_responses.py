"""Responses to staff are never cached, and a database that fails for a moment gets a clear
"nothing was saved" page instead of a bare 500."""

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from clinic.middleware import DATABASE_UNAVAILABLE, INPUT_KEPT
from planner.models import Patient
from tests.factories.planner import CourseFactory, PlanFactory

pytestmark = pytest.mark.django_db


@contextmanager
def database_refusing_writes():
    """Every INSERT/UPDATE/DELETE fails the way a read-only SQLite file or a restarting
    PostgreSQL makes it fail."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            raise OperationalError("attempt to write a readonly database")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def test_pages_with_patient_data_are_not_stored_by_any_cache(desk_client):
    plan = PlanFactory()
    CourseFactory(plan=plan)
    for url in [
        reverse("home"),
        reverse("patient-list"),
        reverse("patient-detail", args=[plan.patient.pk]),
        reverse("plan-detail", args=[plan.pk]),
        reverse("plan-summary", args=[plan.pk]),
        reverse("plan-summary-pdf", args=[plan.pk]),
        reverse("plan-calendar", args=[plan.pk]),
    ]:
        response = desk_client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, url


# A real transaction: the refused write must not be hidden inside the test's own atomic block.
@pytest.mark.django_db(transaction=True)
def test_a_failed_write_says_nothing_was_saved_in_the_app_layout(desk_client):
    desk_client.get(reverse("home"))  # the session's own bookkeeping is written first
    with database_refusing_writes():
        response = desk_client.post(
            reverse("patient-create"),
            {"full_name": "Ada Lovelace", "date_of_birth": "1985-04-23"},
        )
    assert response.status_code == 503
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert DATABASE_UNAVAILABLE in html
    assert 'href="/patients/"' in html  # the app's navigation, not Django's bare page
    assert not Patient.objects.exists()


def test_a_failed_htmx_write_shows_the_message_in_place(desk_client):
    desk_client.get(reverse("home"))
    with database_refusing_writes():
        response = desk_client.post(
            reverse("patient-create"),
            {"full_name": "Ada Lovelace", "date_of_birth": "1985-04-23"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 503
    assert response["HX-Retarget"] == "#server-error"
    assert response["HX-Reswap"] == "innerHTML"
    assert DATABASE_UNAVAILABLE in response.content.decode()
    assert INPUT_KEPT in response.content.decode()


def test_every_page_has_the_region_a_failed_htmx_write_reports_into(desk_client):
    html = desk_client.get(reverse("patient-create")).content.decode()
    assert '<div id="server-error" aria-live="assertive"></div>' in html


def test_an_unexpected_error_page_uses_the_app_look(client, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "nothing was saved" in html
    assert "/static/css/app.css" in html
