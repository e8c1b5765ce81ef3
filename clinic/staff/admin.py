"""The raw user and group forms can grant superuser, staff status and any permission, so
only superusers see them. Clinic admins manage staff on the Staff page (/staff/), which
grants exactly one role."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User


class SuperusersOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(SuperusersOnly, UserAdmin):
    pass


@admin.register(Group)
class RoleGroupAdmin(SuperusersOnly, GroupAdmin):
    pass
