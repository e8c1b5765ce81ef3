"""Signing records in the admin: read-only, like the rest of the planner's data. Links,
signed records, their consents, the public pages' audit trail and deposits change only
through the planner's pages."""

from django.contrib import admin

from clinic.admin_site import ReadOnlyAdminMixin
from planner.signing.models import Deposit, ShareLink, SignedConsent, SignedRecord, SigningEvent


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("plan", "plan_version", "kiosk", "created_at", "expires_at", "revoked_at")
    list_select_related = ("plan",)
    exclude = ("token_hash",)


class SignedConsentInline(admin.TabularInline):
    model = SignedConsent
    extra = 0
    fields = ("title", "version", "text")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SignedRecord)
class SignedRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("plan", "decision", "typed_name", "signed_at", "ip_address")
    list_filter = ("decision",)
    list_select_related = ("plan",)
    exclude = ("signature_png", "pdf", "shown_summary_html")
    inlines = [SignedConsentInline]


@admin.register(SignedConsent)
class SignedConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "version", "record")

    def has_module_permission(self, request):
        return False  # reached through the signed record


@admin.register(SigningEvent)
class SigningEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "kind", "plan", "user", "ip_address", "detail")
    list_filter = ("kind",)
    list_select_related = ("plan", "user")
    date_hierarchy = "at"


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "plan",
        "amount",
        "currency",
        "received_on",
        "method",
        "recorded_by",
        "voided_at",
        "voided_by",
        "void_reason",
    )
    list_select_related = ("plan", "recorded_by", "voided_by")
