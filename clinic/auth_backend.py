"""Django's model backend, reading a user's permissions in one query instead of two."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class ClinicModelBackend(ModelBackend):
    """Every page checks a permission (clinic.permissions.require_permission), so every page
    pays for loading them: one query over both paths (granted directly and through the
    role's group) rather than Django's one query per path. Cached on the user like Django's."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.all()
            else:
                rows = Permission.objects.filter(
                    Q(user=user_obj) | Q(group__user=user_obj)
                ).distinct()
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in rows.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache
