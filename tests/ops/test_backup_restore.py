"""A backup taken while the app runs restores to the same plans."""

import io
import shutil
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from planner import actions
from planner.models import Course, Plan
from planner.planning import CourseDraft
from tests.factories.planner import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    plans = list(Plan.objects.order_by("pk").values_list("pk", "title", "status", "version"))
    courses = list(
        Course.objects.order_by("pk").values_list(
            "plan_id", "treatment_id", "sessions", "first_session"
        )
    )
    return plans, courses


@pytest.fixture
def plans(front_desk, catalog):
    treatment = catalog[MICRONEEDLING]
    for n in range(3):
        actions.plan_save(
            plan=None,
            patient=PatientFactory(),
            fields=actions.PlanFields(title=f"Plan {n}", indications=[], ready_by=None, notes=""),
            drafts=[
                CourseDraft(
                    key="0",
                    treatment=treatment,
                    sessions=n + 1,
                    interval_count=1,
                    interval_unit="months",
                    first_session=timezone.localdate() + timedelta(days=7 + n),
                )
            ],
            user=front_desk,
        )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite online backup")
def test_sqlite_backup_restores_the_same_plans(plans, tmp_path):
    before = snapshot()
    backup = tmp_path / "clinic.sqlite3"
    call_command("backup_database", str(backup), stdout=io.StringIO())

    Plan.objects.update(title="changed after the backup")
    Course.objects.filter(sessions=1).delete()
    assert snapshot() != before

    call_command("restore_database", str(backup), "--yes", stdout=io.StringIO())
    assert snapshot() == before


@pytest.mark.skipif(
    connection.vendor != "postgresql" or shutil.which("pg_dump") is None,
    reason="pg_dump backup on PostgreSQL",
)
def test_postgresql_backup_restores_the_same_plans(plans, tmp_path):
    before = snapshot()
    backup = tmp_path / "clinic.dump"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    assert backup.stat().st_size > 0

    Plan.objects.update(title="changed after the backup")
    assert snapshot() != before

    call_command("restore_database", str(backup), "--yes", stdout=io.StringIO())
    connection.close()
    assert snapshot() == before
