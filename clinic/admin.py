from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.models import PriceRange, TreatmentType


class PriceRangeInline(admin.TabularInline):
    model = PriceRange
    extra = 0
    fields = ("unit", "series_size", "minimum", "maximum", "currency", "effective_from", "source")
    show_change_link = True


@admin.register(TreatmentType)
class TreatmentTypeAdmin(SimpleHistoryAdmin):
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
            "Results window after a session (weeks)",
            {
                "fields": ("results_weeks_min", "results_weeks_max", "results_source"),
            },
        ),
    )

    @admin.display(description="downtime")
    def downtime_display(self, obj):
        from clinic.templatetags.catalog_format import downtime

        return downtime(obj)


@admin.register(PriceRange)
class PriceRangeAdmin(SimpleHistoryAdmin):
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
        from clinic.templatetags.catalog_format import money_range

        return money_range(obj.minimum, obj.maximum, obj.currency)
