"""PostgreSQL plans a page's queries once per connection, not on every request
(clinic/settings.py: server-side binding and psycopg's prepared statements)."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's statements"),
]


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_sent_again_is_planned_once():
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT count(*) FROM planner_plan WHERE id > %s", [0])
            cursor.fetchone()

    assert any("FROM planner_plan WHERE id > $1" in s for s in prepared_statements())


def test_an_orm_query_sent_again_is_planned_once(catalog, patient):
    from clinic.catalog_seed import MICRONEEDLING
    from planner.models import Plan
    from tests.factories.planner import make_plan

    plan = make_plan(patient, catalog[MICRONEEDLING])
    for _ in range(6):
        assert Plan.objects.filter(pk=plan.pk).values_list("title", flat=True).get()

    assert any('"planner_plan"."title"' in s for s in prepared_statements())
