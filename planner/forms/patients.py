"""Patient forms: the record staff type in, and the search box of the patient list."""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from clinic.forms import ErrorDescribedField
from clinic.text import validate_visible_name
from planner.models import Patient
from planner.patient_search import search_words
from planner.selectors import patients_matching

NAME_REQUIRED = "Enter the patient's full name."
DOB_IN_FUTURE = "The date of birth cannot be in the future."
DOB_BEFORE_1900 = "Enter a date of birth in 1900 or later."
NOT_A_DATE = "Enter a date, for example 1985-04-23."
EMAIL_INVALID = "Enter an email address, for example name@example.com."

EARLIEST_DOB = date(1900, 1, 1)
SEARCH_MAX_LENGTH = 200


class PatientForm(forms.ModelForm):
    bound_field_class = ErrorDescribedField
    # The version the page was read at; planner.actions.patient_save refuses an older one.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Shown only when a new patient looks like one already on record.
    create_anyway = forms.BooleanField(
        required=False,
        label="This is a different person: add a new patient anyway",
    )

    class Meta:
        model = Patient
        fields = ["full_name", "date_of_birth", "phone", "email", "notes", "archived"]
        labels = {
            "full_name": "Full name",
            "date_of_birth": "Date of birth",
            "archived": "Archived: hide from the patient list (the record and plans are kept)",
        }
        widgets = {
            # type=date needs ISO values to show a saved date in the browser's picker.
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "full_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "full_name": {"required": NAME_REQUIRED},
            "date_of_birth": {"invalid": NOT_A_DATE},
            "email": {"invalid": EMAIL_INVALID},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A new patient is never archived; archiving replaces deleting a known one.
            del self.fields["archived"]
            del self.fields["version"]
        elif not self.is_bound:
            self.initial["version"] = self.instance.version
        if self.instance.pk is not None or not self.data.get("create_anyway_offered"):
            del self.fields["create_anyway"]
        # The browser's date picker offers only plausible dates; the server still checks.
        self.fields["date_of_birth"].widget.attrs.update(
            {"min": EARLIEST_DOB.isoformat(), "max": timezone.localdate().isoformat()}
        )

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"]
        validate_visible_name(name)  # only U+200B, U+202E, U+2066…: nothing a reader can see
        return name

    def clean_date_of_birth(self) -> date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is None:
            return None
        if born > timezone.localdate():
            raise forms.ValidationError(DOB_IN_FUTURE, code="future")
        if born < EARLIEST_DOB:
            raise forms.ValidationError(DOB_BEFORE_1900, code="too_early")
        return born


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, phone or email"}),
    )
    archived = forms.BooleanField(label="Include archived patients", required=False)

    def apply(self, patients: QuerySet[Patient]) -> QuerySet[Patient]:
        if not self.is_valid():
            # An over-long search term matches nothing rather than everything.
            return patients.none()
        # Every word must occur in the patient's folded search text (planner/patient_search):
        # any order, no accents, no case, a phone number by its digits.
        words = search_words(self.cleaned_data["q"])
        if self.cleaned_data["q"].strip() and not words:
            return patients.none()  # only punctuation: nothing to look for, so no match
        patients = patients_matching(patients, words)
        if not self.cleaned_data["archived"]:
            patients = patients.filter(archived=False)
        return patients

    def query_string(self) -> str:
        """The active search, for pagination links (urlencoded, no leading '?')."""
        if not self.is_valid():
            return ""
        values = {}
        if self.cleaned_data["q"]:
            values["q"] = self.cleaned_data["q"]
        if self.cleaned_data["archived"]:
            values["archived"] = "1"
        return urlencode(values)
