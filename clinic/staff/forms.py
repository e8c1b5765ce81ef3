"""The Staff page's forms: they convert and check what the admin typed; the rules that
involve other accounts (roles, self-lockout, superusers, stale forms) live in the actions."""

from django import forms
from django.core.exceptions import ValidationError

from clinic.forms import ErrorDescribedField
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from clinic.text import validate_visible_name

ROLE_CHOICES = [
    ("", "Choose a role"),
    (FRONT_DESK, "Front desk"),
    (CLINICIAN, "Clinician"),
    (CLINIC_ADMIN, "Clinic admin (also edits the catalog in the admin)"),
]
FIRST_NAME_REQUIRED = "Enter the person's first name."
USERNAME_REQUIRED = "Enter a username: the name they log in with."
ROLE_REQUIRED = "Choose front desk, clinician or clinic admin."
PASSWORD_HELP = "Leave blank to generate a temporary password, shown once."


class StaffForm(forms.Form):
    bound_field_class = ErrorDescribedField

    first_name = forms.CharField(
        label="First name", max_length=150, error_messages={"required": FIRST_NAME_REQUIRED}
    )
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)
    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": USERNAME_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    role = forms.ChoiceField(
        label="Role", choices=ROLE_CHOICES, error_messages={"required": ROLE_REQUIRED}
    )
    is_active = forms.BooleanField(label="Active: may log in", required=False, initial=True)
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["password"]  # its own form, "Reset password"
        else:
            del self.fields["is_active"]
            del self.fields["version"]

    def clean_first_name(self) -> str:
        value = self.cleaned_data["first_name"]
        validate_visible_name(value)
        return value

    def clean_last_name(self) -> str:
        value = self.cleaned_data["last_name"]
        validate_visible_name(value)
        return value

    def apply_errors(self, error: ValidationError) -> None:
        """Show an action's refusal on the field it concerns, or above the form."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class ResetPasswordForm(forms.Form):
    bound_field_class = ErrorDescribedField
    prefix = "reset"

    password = forms.CharField(
        label="New password",
        required=False,
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    version = forms.CharField(widget=forms.HiddenInput)

    def apply_errors(self, error: ValidationError) -> None:
        StaffForm.apply_errors(self, error)
