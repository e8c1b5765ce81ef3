"""Forms of the signing pages: they validate what the patient or staff typed and turn it
into domain values. Messages are constants the tests assert."""

import base64
import binascii
from decimal import Decimal

from django import forms
from django.utils import timezone

from clinic import bounds
from planner.signing.actions import (
    STALE_DEPOSIT_VOID,
    VOID_REASON_LIMIT,
    VOID_REASON_NEEDED,
    VOID_REASON_TOO_LONG,
)
from planner.signing.models import Deposit

# No typed example: the date box shows day, month and year in the order the patient's phone
# is set to (month first in the US), so "1984-05-02" typed into it is not that date.
DATE_OF_BIRTH_NEEDED = "Enter your date of birth: its day, month and year."
NO_MATCH = (
    "These details do not open a plan. Check the date of birth, or ask the clinic for a new link."
)
SIGNATURE_INVALID = "Draw your signature in the box (it could not be read; try again)."
SIGNATURE_TOO_LARGE = "The signature image is too large; clear the box and sign again."
PNG_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 200_000
AMOUNT_POSITIVE = "Enter an amount above zero."
RECEIVED_IN_FUTURE = "A deposit cannot be received in the future."


class DateOfBirthForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        help_text=(
            "Pick it, or type it in the order the box shows (it follows your phone's settings)."
        ),
        error_messages={"required": DATE_OF_BIRTH_NEEDED, "invalid": DATE_OF_BIRTH_NEEDED},
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )


class AcceptForm(forms.Form):
    """Name typed, one tick per consent, the drawn signature (a PNG data URL)."""

    shown = forms.CharField(widget=forms.HiddenInput, max_length=64)
    typed_name = forms.CharField(
        label="Your full name",
        max_length=200,
        error_messages={"required": "Type your full name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    signature = forms.CharField(
        widget=forms.HiddenInput,
        required=True,
        error_messages={"required": "Draw your signature in the box."},
    )

    def __init__(self, *args, consents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.consents = list(consents)
        for document in self.consents:
            self.fields[f"consent_{document.pk}"] = forms.BooleanField(
                label=f"I have read “{document.title}” (version {document.version}) and agree.",
                error_messages={"required": "Tick this box to agree to this consent."},
            )

    def consent_fields(self):
        return [(d, self[f"consent_{d.pk}"]) for d in self.consents]

    def clean_signature(self):
        value = self.cleaned_data["signature"]
        if not value.startswith(PNG_PREFIX):
            raise forms.ValidationError(SIGNATURE_INVALID)
        try:
            data = base64.b64decode(value.removeprefix(PNG_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError(SIGNATURE_INVALID) from None
        if len(data) > MAX_SIGNATURE_BYTES:
            raise forms.ValidationError(SIGNATURE_TOO_LARGE)
        if not data.startswith(PNG_MAGIC):
            raise forms.ValidationError(SIGNATURE_INVALID)
        return data

    def ticked(self) -> set[int]:
        return {d.pk for d in self.consents if self.cleaned_data.get(f"consent_{d.pk}")}


class DeclineForm(forms.Form):
    shown = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(
        label="Reason (optional)", required=False, max_length=2000, widget=forms.Textarea
    )

    def __init__(self, *args, **kwargs):
        # Ids of their own: the accept form on the same page has a "shown" field too.
        kwargs.setdefault("auto_id", "decline_%s")
        super().__init__(*args, **kwargs)


class LinkForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class DepositForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(max_digits=10, decimal_places=2, label="Amount received")
    received_on = forms.DateField(
        label="Received on", widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(choices=Deposit.Method.choices)
    reference = forms.CharField(
        max_length=100,
        required=False,
        help_text="A receipt or transfer reference. Never card numbers.",
    )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= Decimal("0"):
            raise forms.ValidationError(AMOUNT_POSITIVE)
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(RECEIVED_IN_FUTURE)
        if problem := bounds.date_problem(
            day, earliest=bounds.EARLIEST_RECORD, latest=timezone.localdate()
        ):
            raise forms.ValidationError(problem)  # a typo'd year, such as 1900
        return day


class DepositVoidForm(forms.Form):
    """Why a deposit is voided, as of the plan's version on the page (the action checks the
    reason again, with the same messages)."""

    # Only a page of another time (or a hand-made request) lacks it: read the plan again.
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": STALE_DEPOSIT_VOID, "invalid": STALE_DEPOSIT_VOID},
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Kept with the deposit, for example: wrong amount typed, wrong plan.",
        error_messages={"required": VOID_REASON_NEEDED},
        widget=forms.TextInput(attrs={"maxlength": VOID_REASON_LIMIT}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        if len(reason) > VOID_REASON_LIMIT:
            raise forms.ValidationError(
                VOID_REASON_TOO_LONG.format(limit=VOID_REASON_LIMIT, length=len(reason))
            )
        return reason
