from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic catalog"

    def ready(self):
        from clinic.roles import sync_role_permissions

        # Permissions only exist after every app has migrated, so the groups created by
        # the migration get their permissions here, idempotently, on every migrate.
        post_migrate.connect(sync_role_permissions, dispatch_uid="clinic.sync_roles")

        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from clinic import auth_events

        user_logged_in.connect(auth_events.on_login, dispatch_uid="clinic.login")
        user_logged_out.connect(auth_events.on_logout, dispatch_uid="clinic.logout")
        user_login_failed.connect(auth_events.on_login_failed, dispatch_uid="clinic.login_failed")
