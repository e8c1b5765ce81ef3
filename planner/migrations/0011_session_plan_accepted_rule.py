"""A session record belongs to a plan the patient has accepted: written only while its plan is
accepted, in progress or completed (and, on a cancelled plan, only to close an open one:
cancelling a plan cancels its open sessions and keeps every record as history). The rule spans two tables, so it is
a trigger on each engine rather than a CheckConstraint."""

from django.db import migrations

MESSAGE = (
    "session_plan_accepted: a session record belongs to an accepted, in-progress or "
    "completed plan"
)
WRITABLE = "('accepted', 'in_progress', 'completed')"

SQLITE = [
    f"""
    CREATE TRIGGER planner_session_plan_accepted_insert
    BEFORE INSERT ON planner_treatmentsession
    WHEN (SELECT status FROM planner_plan WHERE id = NEW.plan_id) NOT IN {WRITABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER planner_session_plan_accepted_update
    BEFORE UPDATE ON planner_treatmentsession
    WHEN (SELECT status FROM planner_plan WHERE id = NEW.plan_id) NOT IN {WRITABLE}
     AND NOT ((SELECT status FROM planner_plan WHERE id = NEW.plan_id) = 'cancelled'
              AND OLD.status IN ('planned', 'cancelled')
              AND NEW.status IN ('planned', 'cancelled'))
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS planner_session_plan_accepted_insert",
    "DROP TRIGGER IF EXISTS planner_session_plan_accepted_update",
]
POSTGRESQL = [
    f"""
    CREATE FUNCTION planner_session_plan_accepted() RETURNS trigger AS $$
    DECLARE plan_status varchar;
    BEGIN
      SELECT status INTO plan_status FROM planner_plan WHERE id = NEW.plan_id;
      IF plan_status IN {WRITABLE}
         OR (TG_OP = 'UPDATE' AND plan_status = 'cancelled'
             AND OLD.status IN ('planned', 'cancelled')
             AND NEW.status IN ('planned', 'cancelled')) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER planner_session_plan_accepted
    BEFORE INSERT OR UPDATE ON planner_treatmentsession
    FOR EACH ROW EXECUTE FUNCTION planner_session_plan_accepted()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS planner_session_plan_accepted ON planner_treatmentsession",
    "DROP FUNCTION IF EXISTS planner_session_plan_accepted()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("planner", "0010_session_records")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
