"""Session records, adverse events and recall contacts in the admin: read-only, like every
planner record; they change only through planner.delivery.actions."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_site import ReadOnlyAdminMixin
from planner.delivery.models import AdverseEvent, RecallContact, TreatmentSession


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("plan", "number", "planned_date", "status", "performed_by", "lot_used")
    list_filter = ("status",)
    search_fields = ("plan__title", "plan__patient__full_name", "lot_used__lot_number")
    list_select_related = ("plan__patient", "course__treatment", "performed_by", "lot_used")


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("noticed_on", "severity", "session", "reported_to_medwatch", "recorded_by")
    list_filter = ("severity", "reported_to_medwatch")
    list_select_related = ("session__course__treatment", "recorded_by")


@admin.register(RecallContact)
class RecallContactAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("contacted_at", "lot", "patient", "contacted_by")
    list_select_related = ("lot__product", "patient", "contacted_by")
