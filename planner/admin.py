from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from planner.models import Course, Patient, Plan, SummaryAccess


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ("full_name", "date_of_birth", "phone", "email", "archived", "updated_at")
    list_filter = ("archived",)
    search_fields = ("full_name", "phone", "email")
    readonly_fields = ("created_at", "updated_at", "created_by", "updated_by")


class CourseInline(admin.TabularInline):
    model = Course
    extra = 0
    readonly_fields = ("treatment", "sessions", "interval_count", "interval_unit", "first_session")
    can_delete = False


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    """Read-mostly: plans are built in the planner, where the rules live."""

    list_display = ("title", "patient", "status", "ready_by", "updated_at", "updated_by")
    list_filter = ("status",)
    search_fields = ("title", "patient__full_name")
    list_select_related = ("patient", "updated_by")
    inlines = [CourseInline]
    readonly_fields = [f.name for f in Plan._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "treatment", "sessions", "first_session")
    list_select_related = ("plan", "treatment")
    readonly_fields = [f.name for f in Course._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_module_permission(self, request):
        return False  # reached through the plan; listed for its history page


@admin.register(SummaryAccess)
class SummaryAccessAdmin(admin.ModelAdmin):
    """The log of who opened which plan's patient material; read-only."""

    list_display = ("at", "user", "kind", "plan")
    list_filter = ("kind",)
    search_fields = ("plan__title", "plan__patient__full_name", "user__username")
    list_select_related = ("user", "plan")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
