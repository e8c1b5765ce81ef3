import shutil
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from clinic.management.commands.backup_database import _pg_env_and_args, restore_sqlite


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_database, replacing the current data. "
        "Stop the app first."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, source: Path, yes: bool, **options):
        if not source.exists():
            raise CommandError(f"No backup at {source}.")
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
