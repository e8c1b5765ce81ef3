import os
import stat

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def keep_sqlite_file_private(sender, connection, **kwargs):
    """The SQLite file holds every patient's record: readable by the app's user only, like
    its backups, whatever umask created it (WAL and shared-memory files included)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return
    for path in (name, f"{name}-wal", f"{name}-shm"):
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue
        if stat.S_IMODE(mode) & 0o077:
            os.chmod(path, stat.S_IMODE(mode) & 0o700)


def create_cache_table(sender, using="default", **kwargs):
    """The database cache's table (settings.CACHES), created by every `migrate` so no deploy,
    bench or test database can miss it; createcachetable skips a table that exists."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic catalog"

    def ready(self):
        from clinic.roles import sync_role_permissions

        # Permissions only exist after every app has migrated, so the groups created by
        # the migration get their permissions here, idempotently, on every migrate.
        post_migrate.connect(sync_role_permissions, dispatch_uid="clinic.sync_roles")
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="clinic.cache_table")
        connection_created.connect(keep_sqlite_file_private, dispatch_uid="clinic.sqlite_mode")

        from clinic import catalog_cache

        catalog_cache.connect_signals()

        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from clinic import auth_events

        user_logged_in.connect(auth_events.on_login, dispatch_uid="clinic.login")
        user_logged_out.connect(auth_events.on_logout, dispatch_uid="clinic.logout")
        user_login_failed.connect(auth_events.on_login_failed, dispatch_uid="clinic.login_failed")
