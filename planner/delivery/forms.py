"""Forms for session records, adverse events and lots: they validate and convert; the rules
live in planner.delivery.actions and clinic.lots.actions."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from clinic import bounds
from clinic.formatting import format_date
from clinic.lots.rules import allowed_moves
from clinic.models import LotStatus, ProductLot
from planner.delivery.models import Severity

DATE_FAR = "Enter a date within two years of today."
PERFORMED_LATER = "A session cannot be recorded as performed on a day still to come."


def clinicians():
    """Who may be named as having performed a session: the clinicians (and superusers)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="perform_session")
            | Q(user_permissions__codename="perform_session")
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        status = obj.get_status_display().lower()
        return f"{obj.lot_number} ({status}, expires {format_date(obj.expires_on)})"


class KeepFixedField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=False, **kwargs)


def _within_two_years(day):
    today = timezone.localdate()
    if not (today - timedelta(days=730) <= day <= today + timedelta(days=730)):
        raise forms.ValidationError(DATE_FAR)
    return day


class _SessionForm(forms.Form):
    state = forms.CharField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, later_sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep_fixed"] = KeepFixedField(
            label="Keep these later sessions on their dates",
            choices=[
                (s.number, f"Session {s.number} on {format_date(s.planned_date)}")
                for s in later_sessions
            ],
        )


class PerformForm(_SessionForm):
    performed_on = forms.DateField(
        label="Performed on", widget=forms.DateInput(attrs={"type": "date"})
    )
    performer = UserChoiceField(queryset=get_user_model().objects.none(), label="Performed by")
    lot = LotChoiceField(queryset=ProductLot.objects.none(), required=False, label="Lot used")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    override_reason = forms.CharField(
        label="Use the lot anyway, because (clinician's reason, recorded on the session)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["performer"].queryset = clinicians()
        if session.needs_lot:
            self.fields["lot"].queryset = (
                ProductLot.objects.filter(product_id=session.course.product_id)
                .exclude(status=LotStatus.DISCARDED)
                .order_by("expires_on", "lot_number")
            )
            self.fields["lot"].required = True
        else:
            del self.fields["lot"]
            del self.fields["override_reason"]

    def clean_performed_on(self):
        day = _within_two_years(self.cleaned_data["performed_on"])
        if day > timezone.localdate():
            raise forms.ValidationError(PERFORMED_LATER)
        return day


class RescheduleForm(_SessionForm):
    new_date = forms.DateField(label="New date", widget=forms.DateInput(attrs={"type": "date"}))
    new_time = forms.TimeField(
        label="Time (optional)", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean_new_date(self):
        return _within_two_years(self.cleaned_data["new_date"])


class CloseForm(forms.Form):
    state = forms.CharField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=[("no_show", "No-show"), ("cancelled", "Cancelled")])


class AdverseEventForm(forms.Form):
    state = forms.CharField(widget=forms.HiddenInput)
    noticed_on = forms.DateField(label="Noticed on", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(choices=Severity.choices)
    action_taken = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reported_to_medwatch = forms.BooleanField(
        label="Reported to the FDA's MedWatch", required=False
    )
    medwatch_reference = forms.CharField(label="MedWatch reference", max_length=80, required=False)

    def clean_noticed_on(self):
        return _within_two_years(self.cleaned_data["noticed_on"])


class PlanCompleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why complete the plan with sessions still planned?",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class LotStatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to_status = forms.ChoiceField(label="Mark the lot", choices=())
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (s, LotStatus(s).label) for s in allowed_moves(lot.status)
        ]


class StorageReadingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    checked_on = forms.DateField(label="Read on", widget=forms.DateInput(attrs={"type": "date"}))
    temperature_celsius = forms.DecimalField(
        label="Temperature (°C)", max_digits=5, decimal_places=1
    )
    notes = forms.CharField(max_length=200, required=False)

    def clean_temperature_celsius(self):
        # The model's own bound, checked here so a typo (500 for 5.0) is told, not a 500.
        celsius = self.cleaned_data["temperature_celsius"]
        if problem := bounds.reading_problem(celsius):
            raise forms.ValidationError(problem)
        return celsius
