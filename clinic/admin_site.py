"""The admin is for clinic admins and superusers only, and is never a back door past the
planner's and catalog's rules.

- Only active staff holding the clinic-admin role (or superusers) get in at all; a front-desk
  or clinician account that somehow has staff status sees the admin's login page.
- History pages show old versions but never save one back: django-simple-history's
  "revert" form saves on POST with only view-or-change permission checked, and its
  SIMPLE_HISTORY_REVERT_DISABLED setting only hides the button, so POST is refused here.
- Read-only model admins (patients, plans, courses, the summary log) refuse add, change and
  delete to everyone, superusers included.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponseNotAllowed
from django.utils.text import capfirst


class ClinicAdminConfig(AdminConfig):
    """Listed in INSTALLED_APPS instead of django.contrib.admin, so admin.site is ours."""

    default_site = "clinic.admin_site.ClinicAdminSite"


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic administration"
    site_title = "Clinic admin"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and user.has_perm("clinic.use_admin")


class HistoryIsReadOnlyMixin:
    """For SimpleHistoryAdmin subclasses: a history version can be looked at, never saved."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin(HistoryIsReadOnlyMixin):
    """View and history only, for everyone: these records change only through their own
    pages, where the rules live."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}  # no bulk "delete selected"


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their column's name: the column heading is not a
    label, so without this a screen reader announces a row of unnamed fields."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            formfield.widget.attrs.setdefault("aria-label", capfirst(db_field.verbose_name))
        return formfield

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    row = "" if index is None else f" row {index + 1}"
                    form.fields["DELETE"].widget.attrs["aria-label"] = f"Delete{row}"

        return LabelledFormSet
