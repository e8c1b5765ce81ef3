import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database while the app keeps running: SQLite's "
        "online backup for a single-machine clinic, pg_dump (custom format) for PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path)

    def handle(self, *args, destination: Path, **options):
        destination.parent.mkdir(parents=True, exist_ok=True)
        if connection.vendor == "sqlite":
            backup_sqlite(destination)
        elif connection.vendor == "postgresql":
            backup_postgresql(destination)
        else:
            raise CommandError(f"No backup method for {connection.vendor}.")
        self.stdout.write(f"Backup written to {destination}")


def backup_sqlite(destination: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(destination)
    try:
        # Page-by-page copy that readers and writers can interleave with.
        connection.connection.backup(target)
    finally:
        target.close()


def restore_sqlite(source: Path) -> None:
    """Replace the live database's contents with a backup (run with the app stopped)."""
    connection.ensure_connection()
    origin = sqlite3.connect(source)
    try:
        origin.backup(connection.connection)
    finally:
        origin.close()


def _pg_env_and_args() -> tuple[dict, list[str]]:
    import os

    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    args = ["-h", db.get("HOST") or "localhost", "-p", str(db.get("PORT") or 5432)]
    args += ["-U", db.get("USER") or "", db["NAME"]]
    return env, args


def backup_postgresql(destination: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise CommandError("pg_dump is not installed (Debian: postgresql-client).")
    env, args = _pg_env_and_args()
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", *args],
        env=env,
        check=True,
    )
