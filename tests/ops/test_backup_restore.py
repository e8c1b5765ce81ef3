"""A backup taken while the app runs restores to the same plans."""

import io
import shutil
import sqlite3
import stat
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
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


# Files hold every patient's record: private, never through a symlink, never a stranger's.


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite online backup")
def test_a_backup_is_readable_by_its_owner_only(plans, tmp_path):
    backup = tmp_path / "clinic.sqlite3"
    backup.write_text("an older file, world-readable")
    backup.chmod(0o644)
    call_command("backup_database", str(backup), stdout=io.StringIO())
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_a_backup_never_follows_a_symlink(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    link = tmp_path / "clinic.sqlite3"
    link.symlink_to(elsewhere)
    with pytest.raises(CommandError, match="symbolic link"):
        call_command("backup_database", str(link), stdout=io.StringIO())
    assert elsewhere.read_text() == "untouched"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite restore")
def test_restoring_an_unrelated_sqlite_file_is_refused(plans, tmp_path):
    stranger = tmp_path / "other.sqlite3"
    other = sqlite3.connect(stranger)
    other.execute("CREATE TABLE django_migrations (id INTEGER, app TEXT, name TEXT, applied TEXT)")
    other.execute("INSERT INTO django_migrations VALUES (1, 'blog', '0001_initial', '')")
    other.commit()
    other.close()
    before = snapshot()
    with pytest.raises(CommandError, match="not a backup of this app"):
        call_command("restore_database", str(stranger), "--yes", stdout=io.StringIO())
    assert snapshot() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite restore")
def test_restoring_a_file_that_is_not_a_database_is_refused(plans, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database at all " * 100)
    before = snapshot()
    with pytest.raises(CommandError, match="not a backup of this app"):
        call_command("restore_database", str(junk), "--yes", stdout=io.StringIO())
    assert snapshot() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite restore")
def test_restoring_a_backup_from_newer_code_is_refused(plans, tmp_path):
    backup = tmp_path / "clinic.sqlite3"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    newer = sqlite3.connect(backup)
    newer.execute(
        "INSERT INTO django_migrations (app, name, applied) VALUES ('planner', '9999_future', '')"
    )
    newer.commit()
    newer.close()
    with pytest.raises(CommandError, match="unknown migrations planner.9999_future"):
        call_command("restore_database", str(backup), "--yes", stdout=io.StringIO())


@pytest.mark.skipif(
    connection.vendor != "postgresql" or shutil.which("pg_dump") is None,
    reason="pg_restore on PostgreSQL",
)
def test_restoring_an_unrelated_postgresql_dump_is_refused(plans, tmp_path):
    junk = tmp_path / "clinic.dump"
    junk.write_bytes(b"PGDMP not really")
    with pytest.raises(CommandError, match="not a backup of this app"):
        call_command("restore_database", str(junk), "--yes", stdout=io.StringIO())


def test_the_sqlite_database_file_is_private(tmp_path):
    from clinic.apps import keep_sqlite_file_private

    class FakeConnection:
        vendor = "sqlite"
        settings_dict = {"NAME": str(tmp_path / "db.sqlite3")}

    (tmp_path / "db.sqlite3").write_text("")
    (tmp_path / "db.sqlite3").chmod(0o644)
    keep_sqlite_file_private(sender=None, connection=FakeConnection())
    assert stat.S_IMODE((tmp_path / "db.sqlite3").stat().st_mode) == 0o600
