from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_site import HistoryIsReadOnlyMixin, LabelledTabularInline, ReadOnlyAdminMixin
from clinic.due_diligence import assess
from clinic.formatting import format_hours_range, format_lot_warning, format_money_range
from clinic.models import (
    ConsentDocument,
    DepositRule,
    EvidenceNote,
    ExosomeProduct,
    LotStatusChange,
    PriceRange,
    ProductLot,
    StorageCheck,
    TreatmentType,
)


class PriceRangeInline(LabelledTabularInline):
    model = PriceRange
    extra = 0
    fields = (
        "unit",
        "series_size",
        "minimum",
        "maximum",
        "currency",
        "effective_from",
        "source",
        "trial_pricing",
    )
    show_change_link = True


@admin.register(TreatmentType)
class TreatmentTypeAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "route", "regulatory_status", "downtime_display", "active")
    list_filter = ("kind", "route", "regulatory_status", "active")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PriceRangeInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "description", "active")}),
        ("Regulatory", {"fields": ("route", "regulatory_status", "exosome_source")}),
        (
            "Downtime (hours; blank = not documented)",
            {
                "fields": ("downtime_min_hours", "downtime_max_hours", "downtime_source"),
            },
        ),
        (
            "Typical series",
            {
                "fields": (
                    "sessions_min",
                    "sessions_max",
                    "sessions_source",
                    "interval_count",
                    "interval_unit",
                    "interval_source",
                ),
            },
        ),
        (
            "Results keep developing after each session (weeks)",
            {
                "fields": (
                    "results_develop_weeks_min",
                    "results_develop_weeks_max",
                    "results_develop_source",
                ),
            },
        ),
    )

    @admin.display(description="downtime")
    def downtime_display(self, obj):
        return format_hours_range(obj.downtime_min_hours, obj.downtime_max_hours)


@admin.register(PriceRange)
class PriceRangeAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("treatment", "unit_label", "range_display", "effective_from", "source")
    list_filter = ("treatment", "unit", "effective_from", "source")
    search_fields = ("treatment__name", "source", "notes")
    list_select_related = ("treatment",)
    date_hierarchy = "effective_from"
    history_list_display = ["minimum", "maximum", "effective_from"]

    @admin.display(description="unit")
    def unit_label(self, obj):
        return obj.unit_label

    @admin.display(description="range", ordering="minimum")
    def range_display(self, obj):
        return format_money_range(obj.minimum, obj.maximum, obj.currency)


@admin.register(ExosomeProduct)
class ExosomeProductAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "manufacturer",
        "exosome_source",
        "grade",
        "regulatory_status",
        "due_diligence",
        "active",
    )
    list_filter = ("exosome_source", "grade", "regulatory_status", "active")
    search_fields = ("name", "manufacturer", "source_cell_line")
    fieldsets = (
        (None, {"fields": ("name", "manufacturer", "active")}),
        ("Origin", {"fields": ("exosome_source", "source_cell_line", "grade")}),
        ("Use", {"fields": ("route_topical", "route_injection")}),
        ("Regulatory", {"fields": ("regulatory_status", "regulatory_reference")}),
        ("Evidence", {"fields": ("clinical_evidence",)}),
        ("Storage", {"fields": ("storage_min_celsius", "storage_max_celsius", "handling_notes")}),
    )

    @admin.display(description="due diligence (product questions)")
    def due_diligence(self, obj):
        answers = assess(obj, today=timezone.localdate()).answers
        product_answers = [a for a in answers if a.key != "characterisation"]
        answered = sum(a.answered for a in product_answers)
        return f"{answered} of {len(product_answers)} answered"


class StorageCheckInline(LabelledTabularInline):
    model = StorageCheck
    extra = 1
    fields = ("checked_on", "temperature_celsius", "checked_by", "notes")
    readonly_fields = ("checked_by",)


@admin.register(ProductLot)
class ProductLotAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("lot_number", "product", "status", "received_on", "expires_on", "warnings")
    list_filter = ("product", "status")
    # The status moves only on the lot page (clinic.lots.actions: the allowed moves, who may
    # make each, the reason, the log); here it is shown, never typed.
    readonly_fields = ("status", "storage_reviewed_through")
    search_fields = ("lot_number", "product__name")
    list_select_related = ("product",)
    inlines = [StorageCheckInline]
    fieldsets = (
        (None, {"fields": ("product", "lot_number", "received_on", "expires_on")}),
        ("Status (changed on the lot page)", {"fields": ("status", "storage_reviewed_through")}),
        (
            "Characterisation",
            {
                "fields": (
                    "particles_per_ml",
                    ("size_median_nm", "size_mode_nm"),
                    ("size_min_nm", "size_max_nm"),
                    "surface_markers",
                    "characterisation_document",
                )
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("storage_checks")

    @admin.display(description="warnings")
    def warnings(self, obj):
        found = assess(
            obj.product,
            lot=obj,
            readings=obj.storage_checks.all(),
            today=timezone.localdate(),
        ).warnings
        if not found:
            return "none"
        return format_html_join("", "<p>{}</p>", ((format_lot_warning(w),) for w in found))

    def save_formset(self, request, form, formset, change):
        # Who took a storage reading is whoever records it.
        for reading in formset.save(commit=False):
            if reading.checked_by_id is None:
                reading.checked_by = request.user
            reading.save()
        for deleted in formset.deleted_objects:
            deleted.delete()


@admin.register(LotStatusChange)
class LotStatusChangeAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """The log of every lot's moves: written by clinic.lots.actions, read here."""

    list_display = ("changed_at", "lot", "from_status", "to_status", "changed_by", "reason")
    list_filter = ("to_status",)
    search_fields = ("lot__lot_number", "reason")
    list_select_related = ("lot__product", "changed_by")


@admin.register(EvidenceNote)
class EvidenceNoteAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("slug", "kind", "route", "source", "active")
    list_filter = ("kind", "route", "active")


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    """Consent texts. Once a patient has signed a version its wording is fixed: the clinic
    publishes a change as a new version (same slug, next number), which plans ask for from
    then on; the signed record keeps its own copy either way."""

    list_display = ("title", "slug", "version", "treatment_kinds", "is_template", "active")
    list_filter = ("active", "is_template")
    search_fields = ("title", "slug", "text")
    FIXED_ONCE_SIGNED = ("slug", "version", "title", "text", "treatment_kinds")

    def get_readonly_fields(self, request, obj=None):
        # signed_copies: the planner's signed consents (planner.signing), by reverse name.
        if obj is not None and obj.signed_copies.exists():
            return self.FIXED_ONCE_SIGNED
        return ()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.signed_copies.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(DepositRule)
class DepositRuleAdmin(HistoryIsReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "kind", "amount", "percent", "updated_at")


# Staff accounts: superusers only in the admin; clinic admins use the Staff page.
from clinic.staff import admin as _staff_admin  # noqa: E402, F401
