"""The indexes that keep the patients and plans searches' cost the same at 200 patients and at
20,000 (planner.selectors.patients_matching and plans_matching):

- a plan's patient, then newest first: the newest plans of the patients a search finds, read
  from the index alone;
- plans newest first with their title (replacing the index without it): a search whose
  title matches many plans walks the index, not the plan rows;
- patients alphabetically, on PostgreSQL with their search text and archived flag included:
  a search for a common name walks the index, not the patient rows;
- plan titles by substring: on PostgreSQL a pg_trgm GIN index over UPPER(title), the
  expression Django's `title__icontains` compares; on SQLite an FTS5 trigram table kept in
  step by triggers, like the patients' one (migration 0013);
- on PostgreSQL, both GIN indexes without a pending list ("fastupdate"): with it, the rows
  written since the last vacuum wait in an unindexed list that every search reads in full.
  After a bulk load of 20,000 patients the planner then chose a sequential scan (4 to 6 ms
  instead of 0.1 ms) until autovacuum came by. Staff write one patient or plan at a time,
  so writing the index at once costs nothing they would notice.

Django rebuilds a SQLite table to alter it and the rebuild drops its triggers:
tests/planner/test_search_indexes.py fails if a later migration loses them."""

from django.conf import settings
from django.db import migrations, models

PATIENT_TRIGRAM_INDEX = "planner_patient_search_trgm"  # migration 0007
TITLE_TRIGRAM_INDEX = "planner_plan_title_trgm"
TITLE_FTS = "planner_plan_title_fts"

POSTGRESQL = [
    f"ALTER INDEX {PATIENT_TRIGRAM_INDEX} SET (fastupdate = off)",
    # Turning the list off does not empty it.
    f"SELECT gin_clean_pending_list('{PATIENT_TRIGRAM_INDEX}'::regclass)",
    f"""CREATE INDEX IF NOT EXISTS {TITLE_TRIGRAM_INDEX} ON planner_plan
        USING gin ((UPPER(title::text)) gin_trgm_ops) WITH (fastupdate = off)""",
]
POSTGRESQL_DROP = [
    f"DROP INDEX IF EXISTS {TITLE_TRIGRAM_INDEX}",
    f"ALTER INDEX {PATIENT_TRIGRAM_INDEX} RESET (fastupdate)",
]
SQLITE = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {TITLE_FTS} USING fts5(
        title, content='planner_plan', content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER IF NOT EXISTS {TITLE_FTS}_insert AFTER INSERT ON planner_plan BEGIN
        INSERT INTO {TITLE_FTS}(rowid, title) VALUES (new.id, new.title);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TITLE_FTS}_delete AFTER DELETE ON planner_plan BEGIN
        INSERT INTO {TITLE_FTS}({TITLE_FTS}, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TITLE_FTS}_update AFTER UPDATE OF title
        ON planner_plan BEGIN
        INSERT INTO {TITLE_FTS}({TITLE_FTS}, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO {TITLE_FTS}(rowid, title) VALUES (new.id, new.title);
    END""",
    f"INSERT INTO {TITLE_FTS}({TITLE_FTS}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TITLE_FTS}_insert",
    f"DROP TRIGGER IF EXISTS {TITLE_FTS}_delete",
    f"DROP TRIGGER IF EXISTS {TITLE_FTS}_update",
    f"DROP TABLE IF EXISTS {TITLE_FTS}",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0015_plan_decided_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="plan",
            index=models.Index(
                fields=["patient", "-updated_at", "-id"], name="plan_patient_recent_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="patient", name="planner_pat_full_na_a4b71a_idx"),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["full_name", "id"],
                include=("search_text", "archived"),
                name="patient_name_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="plan", name="planner_pla_updated_a5dab5_idx"),
        migrations.AddIndex(
            model_name="plan",
            index=models.Index(fields=["-updated_at", "-id", "title"], name="plan_recent_idx"),
        ),
        migrations.RunPython(create, drop),
    ]
