import os
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
        create_private_file(destination)
        if connection.vendor == "sqlite":
            backup_sqlite(destination)
        elif connection.vendor == "postgresql":
            backup_postgresql(destination)
        else:
            raise CommandError(f"No backup method for {connection.vendor}.")
        self.stdout.write(f"Backup written to {destination}")


BACKUP_IS_SYMLINK = "{path} is a symbolic link; write the backup to a plain file path."


def create_private_file(path: Path) -> None:
    """Create (or empty) `path` readable by its owner only, never through a symlink: a
    backup holds every patient's record, and a planted link must not redirect it."""
    if path.is_symlink():
        raise CommandError(BACKUP_IS_SYMLINK.format(path=path))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    os.close(fd)


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
