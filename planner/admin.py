"""Patients, plans, courses and the summary log in the admin: to look at and trace back,
never to change. The planner's own pages are the only way to change them, because that is
where the rules (versions, frozen plans, consents) live."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_site import ReadOnlyAdminMixin
from planner.models import Course, Patient, Plan, SummaryAccess


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("full_name", "date_of_birth", "phone", "email", "archived", "updated_at")
    list_filter = ("archived",)
    search_fields = ("full_name", "phone", "email")


class CourseInline(admin.TabularInline):
    model = Course
    extra = 0
    fields = ("treatment", "sessions", "interval_count", "interval_unit", "first_session")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "patient", "status", "ready_by", "updated_at", "updated_by")
    list_filter = ("status",)
    search_fields = ("title", "patient__full_name")
    list_select_related = ("patient", "updated_by")
    inlines = [CourseInline]


@admin.register(Course)
class CourseAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("plan", "treatment", "sessions", "first_session")
    list_select_related = ("plan", "treatment")

    def has_module_permission(self, request):
        return False  # reached through the plan; listed for its history page


@admin.register(SummaryAccess)
class SummaryAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The log of who opened which plan's patient material."""

    list_display = ("at", "user", "kind", "plan")
    list_filter = ("kind",)
    search_fields = ("plan__title", "plan__patient__full_name", "user__username")
    list_select_related = ("user", "plan")
    date_hierarchy = "at"


# The signing capability's records (planner/signing/admin.py), read-only like these.
from planner.delivery import admin as _delivery_admin  # noqa: E402, F401
from planner.signing import admin as _signing_admin  # noqa: E402, F401
