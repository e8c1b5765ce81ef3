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
