import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from clinic.management.commands.backup_database import _pg_env_and_args, restore_sqlite

NOT_A_BACKUP = "{path} is not a backup of this app's database ({reason}); nothing was restored."
# A backup of this app records these migrations; one from another app does not.
REQUIRED_MIGRATIONS = {("clinic", "0001_initial"), ("planner", "0001_initial")}


def known_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def check_migrations(source: Path, recorded: set[tuple[str, str]]) -> None:
    """Refuse a file that is not this app's: it must record this app's first migrations
    and no migration of ours this code does not know (a backup from newer code, or from
    another project that happens to have apps of the same names)."""
    if not recorded >= REQUIRED_MIGRATIONS:
        raise CommandError(NOT_A_BACKUP.format(path=source, reason="not this app's schema"))
    ours = {"clinic", "planner"}
    unknown = {m for m in recorded if m[0] in ours} - known_migrations()
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in sorted(unknown))
        raise CommandError(NOT_A_BACKUP.format(path=source, reason=f"unknown migrations {names}"))


def sqlite_recorded_migrations(source: Path) -> set[tuple[str, str]]:
    try:
        backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return set(backup.execute("SELECT app, name FROM django_migrations").fetchall())
        finally:
            backup.close()
    except sqlite3.DatabaseError as error:
        raise CommandError(NOT_A_BACKUP.format(path=source, reason=str(error))) from error


def postgresql_recorded_migrations(source: Path, env) -> set[tuple[str, str]]:
    listing = subprocess.run(
        ["pg_restore", "--data-only", "--table=django_migrations", "--file=-", str(source)],
        env=env,
        capture_output=True,
        text=True,
    )
    if listing.returncode != 0:
        raise CommandError(NOT_A_BACKUP.format(path=source, reason="pg_restore cannot read it"))
    recorded, in_copy = set(), False
    for line in listing.stdout.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            in_copy = True
        elif in_copy and line == "\\.":
            in_copy = False
        elif in_copy:
            _id, app, name, *_rest = line.split("\t")
            recorded.add((app, name))
    return recorded


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_database, replacing the current data. "
        "Stop the app first."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, source: Path, yes: bool, **options):
        if source.is_symlink():
            raise CommandError(f"{source} is a symbolic link; give the backup file itself.")
        if not source.is_file():
            raise CommandError(f"No backup at {source}.")
        if connection.vendor == "sqlite":
            check_migrations(source, sqlite_recorded_migrations(source))
        elif connection.vendor == "postgresql":
            check_migrations(source, postgresql_recorded_migrations(source, _pg_env_and_args()[0]))
        if not yes and input("This replaces all current data. Type 'restore': ") != "restore":
            raise CommandError("Not restored.")
        if connection.vendor == "sqlite":
            restore_sqlite(source)
        elif connection.vendor == "postgresql":
            if shutil.which("pg_restore") is None:
                raise CommandError("pg_restore is not installed (Debian: postgresql-client).")
            env, pg_args = _pg_env_and_args()
            connection.close()
            subprocess.run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "-d",
                    pg_args[-1],
                    *pg_args[:-1],
                    str(source),
                ],
                env=env,
                check=True,
            )
        else:
            raise CommandError(f"No restore method for {connection.vendor}.")
        self.stdout.write(f"Restored from {source}")
