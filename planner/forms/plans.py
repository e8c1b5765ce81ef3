"""Plan and course forms: they validate what staff type and turn it into domain values.

Treatments are fetched once per request and handed to every course form, so a plan with
twelve courses costs the same queries as a plan with one."""

import re
from datetime import date, timedelta

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.choices import BaseChoiceIterator

from clinic.form_rendering import FAST_WIDGETS
from clinic.formatting import PLATELET_TOPICAL_ONLY, format_date
from clinic.forms_util import int_or_none
from clinic.models import (
    DeliveryRoute,
    ExosomeProduct,
    ExosomeSource,
    IntervalUnit,
    ProductLot,
    TreatmentType,
)
from planner.models import MAX_SESSIONS_PER_COURSE, Indication, Plan, PlanStatus
from planner.patient_search import search_words
from planner.planning import CourseDraft
from planner.selectors import plans_matching

SESSIONS_OUT_OF_RANGE = f"Enter a number of sessions from 1 to {MAX_SESSIONS_PER_COURSE}."
INTERVAL_OUT_OF_RANGE = "Enter an interval from 1 to 365."
NOT_A_NUMBER = "Enter a whole number."
NOT_A_DATE = "Enter a date, for example 2027-03-15."
FIRST_SESSION_TOO_EARLY = "The first session cannot be more than 2 years in the past."
FIRST_SESSION_TOO_LATE = "The first session cannot be more than 5 years ahead."
READY_BY_OUT_OF_RANGE = "Enter a ready-by date within the next 10 years."
NO_DEFAULT_INTERVAL = (
    "The catalog has no documented interval for {treatment}: enter the interval to use."
)
INTERVAL_NEEDS_UNIT = "Choose days, weeks or calendar months for the interval."
SOURCE_FIXED = "{treatment} always uses {source} exosomes."
CHOOSE_TREATMENT = "Choose a treatment."
PRODUCT_NOT_FOR_ROUTE = "{product} is not recorded for {route} use, which {treatment} needs."
PRODUCT_UNKNOWN = "Choose one of the clinic's active products."
LOT_NOT_OF_PRODUCT = "Choose a lot of the product chosen for this course."
LOT_NEEDS_PRODUCT = "Choose the product first, then its lot."
SOURCE_NOT_PRODUCTS = "{product} is made from {source} exosomes."
NEED_A_COURSE = "A plan needs at least one course."
TOO_MANY_COURSES = "A plan can hold at most 12 courses."
MAX_COURSES = 12


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


class PlanForm(forms.ModelForm):
    default_renderer = FAST_WIDGETS
    indications = forms.MultipleChoiceField(
        choices=Indication.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Plan
        fields = ["title", "indications", "ready_by", "notes"]
        widgets = {
            "ready_by": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {"ready_by": {"invalid": NOT_A_DATE}}

    def __init__(self, *args, check_model: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_model = check_model

    def _post_clean(self):
        # Without `check_model` (the editor's recalculations, which save nothing and show
        # only the ready-by date's errors), the plan instance is neither filled in nor
        # validated: that was half the plan form's cost on every recalculation. A save
        # validates everything.
        if self.check_model:
            super()._post_clean()

    def clean_ready_by(self):
        ready_by = self.cleaned_data["ready_by"]
        if ready_by and not (
            today() - timedelta(days=365) <= ready_by <= today() + timedelta(days=3653)
        ):
            raise forms.ValidationError(READY_BY_OUT_OF_RANGE)
        return ready_by


def _clone(obj):
    """copy.copy of a plain object (what Django's Field and Widget __deepcopy__ start with),
    without the copy module's generic machinery."""
    clone = object.__new__(type(obj))
    clone.__dict__.update(obj.__dict__)
    return clone


class _CheapCopy:
    """A course form's field, copied for each form as Django's Field.__deepcopy__ copies it
    (the field, its widget and the widget's attrs, the error messages and the validators),
    but without the copy module's generic machinery, and sharing its choices instead of
    copying them: a course row's choices are never changed in place (a form that narrows
    them assigns new ones). Django deep-copies every field of every form it builds; that was
    a third of the course formset's cost on each recalculation."""

    def __deepcopy__(self, memo):
        result = _clone(self)
        memo[id(self)] = result
        result.widget = _clone(self.widget)
        result.widget.attrs = self.widget.attrs.copy()
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class SharedChoiceField(_CheapCopy, forms.ChoiceField):
    pass


class SharedTypedChoiceField(_CheapCopy, forms.TypedChoiceField):
    pass


class CourseIntegerField(_CheapCopy, forms.IntegerField):
    pass


class CourseDateField(_CheapCopy, forms.DateField):
    pass


class FixedChoices(BaseChoiceIterator):
    """Choices already in Django's normal form ((value, label) pairs), which a field and its
    widget take as they are instead of normalising them again on every assignment."""

    def __init__(self, choices: list[tuple]):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


class CourseForm(forms.Form):
    default_renderer = FAST_WIDGETS
    treatment = SharedTypedChoiceField(
        coerce=int,
        error_messages={"required": CHOOSE_TREATMENT, "invalid_choice": CHOOSE_TREATMENT},
    )
    sessions = CourseIntegerField(
        min_value=1,
        max_value=MAX_SESSIONS_PER_COURSE,
        error_messages={
            "invalid": NOT_A_NUMBER,
            "min_value": SESSIONS_OUT_OF_RANGE,
            "max_value": SESSIONS_OUT_OF_RANGE,
            "required": SESSIONS_OUT_OF_RANGE,
        },
        widget=forms.NumberInput(
            attrs={"min": 1, "max": MAX_SESSIONS_PER_COURSE, "inputmode": "numeric"}
        ),
    )
    interval_count = CourseIntegerField(
        # The page labels the pair "Interval between sessions"; the error summary names it so.
        label="Interval between sessions",
        required=False,
        min_value=1,
        max_value=365,
        error_messages={
            "invalid": NOT_A_NUMBER,
            "min_value": INTERVAL_OUT_OF_RANGE,
            "max_value": INTERVAL_OUT_OF_RANGE,
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": 365, "inputmode": "numeric"}),
    )
    interval_unit = SharedChoiceField(
        label="Interval unit",
        required=False,
        choices=[("", "default")] + IntervalUnit.choices,
    )
    first_session = CourseDateField(
        error_messages={"invalid": NOT_A_DATE, "required": NOT_A_DATE},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    exosome_source = SharedChoiceField(
        label="Exosome source",
        required=False,
        choices=[("", "not specified")] + ExosomeSource.choices,
    )
    product = SharedTypedChoiceField(
        label="Product",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": PRODUCT_UNKNOWN},
    )
    lot = SharedTypedChoiceField(
        label="Lot",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": LOT_NOT_OF_PRODUCT},
    )

    def __init__(
        self,
        *args,
        treatments: dict[int, TreatmentType],
        products: dict[int, ExosomeProduct] | None = None,
        lots: dict[int, ProductLot] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.treatments = treatments
        self.products = products or {}
        self.lots = lots or {}
        self.fields["treatment"].choices = FixedChoices(
            [("", "Choose a treatment")] + [(pk, t.name) for pk, t in treatments.items()]
        )
        # Offer only what fits: products usable by this treatment's route, lots of the
        # chosen product. The server re-checks both in clean().
        treatment = self.treatments.get(int_or_none(self._raw("treatment")))
        product_id = int_or_none(self._raw("product"))
        lot_id = int_or_none(self._raw("lot"))
        # The current choice stays listed even when it no longer fits, so clean() can say why.
        fitting = [
            p
            for p in self.products.values()
            if treatment is None or p.fits_route(treatment.route) or p.pk == product_id
        ]
        self.fields["product"].choices = FixedChoices(
            [("", "not specified")] + [(p.pk, str(p)) for p in fitting]
        )
        self.fields["lot"].choices = FixedChoices(
            [("", "not specified")]
            + [
                (lot.pk, f"{lot.lot_number} (expires {format_date(lot.expires_on)})")
                for lot in self.lots.values()
                if lot.product_id == product_id or lot.pk == lot_id
            ]
        )

    def has_changed(self):
        # Django's answer (any field differs from its initial value), stopping at the first
        # field that does: the formset asks it of every row on every recalculation, and a
        # real row's first field, its treatment, is always filled in.
        return any(self[name]._has_changed() for name in self.fields)

    def _raw(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def clean_treatment(self):
        pk = self.cleaned_data["treatment"]
        if pk not in self.treatments:
            raise forms.ValidationError(CHOOSE_TREATMENT)
        return self.treatments[pk]

    def clean_first_session(self):
        first = self.cleaned_data["first_session"]
        if first < today() - timedelta(days=730):
            raise forms.ValidationError(FIRST_SESSION_TOO_EARLY)
        if first > today() + timedelta(days=1826):
            raise forms.ValidationError(FIRST_SESSION_TOO_LATE)
        return first

    def clean(self):
        data = super().clean()
        treatment = data.get("treatment")
        if treatment is None:
            return data
        count, unit = data.get("interval_count"), data.get("interval_unit")
        if count is None and not unit and "interval_count" not in self.errors:
            # Blank interval: the catalog's default, where one is documented.
            if treatment.interval_count is None:
                self.add_error(
                    "interval_count", NO_DEFAULT_INTERVAL.format(treatment=treatment.name)
                )
            else:
                data["interval_count"] = treatment.interval_count
                data["interval_unit"] = treatment.interval_unit
        elif count is not None and not unit:
            self.add_error("interval_unit", INTERVAL_NEEDS_UNIT)
        elif count is None and unit and "interval_count" not in self.errors:
            self.add_error("interval_count", INTERVAL_OUT_OF_RANGE)

        source = data.get("exosome_source") or ""
        product = self._clean_product(data, treatment)
        if product is not None and source and source != product.exosome_source:
            self.add_error(
                "exosome_source",
                SOURCE_NOT_PRODUCTS.format(
                    product=product.name, source=product.get_exosome_source_display()
                ),
            )
        elif treatment.exosome_source and source and source != treatment.exosome_source:
            self.add_error(
                "exosome_source",
                SOURCE_FIXED.format(
                    treatment=treatment.name, source=treatment.get_exosome_source_display()
                ),
            )
        elif source == ExosomeSource.PLATELET and treatment.route == DeliveryRoute.INJECTION:
            self.add_error("exosome_source", PLATELET_TOPICAL_ONLY)
        return data

    def _clean_product(self, data, treatment):
        product_id, lot_id = data.get("product"), data.get("lot")
        product = self.products.get(product_id) if product_id is not None else None
        if product_id is not None and product is None:
            self.add_error("product", PRODUCT_UNKNOWN)
        elif product is not None and not product.fits_route(treatment.route):
            self.add_error(
                "product",
                PRODUCT_NOT_FOR_ROUTE.format(
                    product=product.name,
                    route="injection" if treatment.route == DeliveryRoute.INJECTION else "topical",
                    treatment=treatment.name,
                ),
            )
            product = None
        if lot_id is not None:
            lot = self.lots.get(lot_id)
            if product_id is None:
                self.add_error("lot", LOT_NEEDS_PRODUCT)
            elif lot is None or lot.product_id != product_id:
                self.add_error("lot", LOT_NOT_OF_PRODUCT)
        data["product"] = product
        data["lot"] = self.lots.get(lot_id) if product is not None and lot_id is not None else None
        return product

    def draft(self, key: str) -> CourseDraft:
        data = self.cleaned_data
        return CourseDraft(
            key=key,
            treatment=data["treatment"],
            sessions=data["sessions"],
            interval_count=data["interval_count"],
            interval_unit=data["interval_unit"],
            first_session=data["first_session"],
            exosome_source=(
                data.get("exosome_source")
                or (data["product"].exosome_source if data.get("product") else "")
                or data["treatment"].exosome_source
            ),
            product=data.get("product"),
            lot=data.get("lot"),
        )


class BaseCourseFormSet(BaseFormSet):
    default_error_messages = {"too_few_forms": NEED_A_COURSE, "too_many_forms": TOO_MANY_COURSES}

    def _construct_form(self, i, **kwargs):
        # Every row on the page is a course: an emptied one must say what is missing, not
        # pass as "unchanged" the way Django treats spare formset rows.
        form = super()._construct_form(i, **kwargs)
        form.empty_permitted = False
        return form

    def drafts(self) -> list[CourseDraft]:
        """Drafts of the valid courses; an invalid one is left out, never guessed."""
        return [form.draft(str(i)) for i, form in enumerate(self.forms) if form.is_valid()]

    def has_course_errors(self) -> bool:
        return any(form.errors for form in self.forms) or bool(self.non_form_errors())


CourseFormSet = formset_factory(
    CourseForm,
    formset=BaseCourseFormSet,
    extra=0,
    can_delete=False,
    min_num=1,
    validate_min=True,
    max_num=MAX_COURSES,
    validate_max=True,
    absolute_max=MAX_COURSES,
    renderer=FAST_WIDGETS,
)
COURSE_PREFIX = "courses"


def course_count(data) -> int:
    """How many course rows posted data claims, within what a formset accepts."""
    try:
        count = int(data.get(f"{COURSE_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        return 0
    return max(0, min(count, MAX_COURSES))


REFERENCE_REQUIRED = "Enter the IND number or clinical-trial reference."


class SignOffForm(forms.Form):
    """A clinician's sign-off carries what was on their screen: the plan's version and a
    fingerprint of its courses and open questions (planner.planning.shown_fingerprint)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    fingerprint = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class InvestigationalForm(SignOffForm):
    reference = forms.CharField(
        label="IND / clinical-trial reference",
        max_length=120,
        error_messages={"required": REFERENCE_REQUIRED},
    )

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not reference:
            raise forms.ValidationError(REFERENCE_REQUIRED)
        return reference


ACKNOWLEDGE_REQUIRED = "Tick the box to acknowledge the open due-diligence questions."


class DueDiligenceAcknowledgementForm(SignOffForm):
    acknowledge = forms.BooleanField(
        label=(
            "I have reviewed the open due-diligence questions above and accept them for this plan."
        ),
        error_messages={"required": ACKNOWLEDGE_REQUIRED},
    )


MONTH_INVALID = "Enter a month such as 2027-06."
SEARCH_TOO_LONG = "Search for at most 100 characters."


class MonthInput(forms.DateInput):
    """A month field. A typed value that is not a month is not echoed back: browsers drop it
    anyway and it is invalid HTML; the error beside the field quotes the expected form."""

    input_type = "month"

    def format_value(self, value):
        value = super().format_value(value)
        return value if value and re.fullmatch(r"\d{4}-\d{2}", str(value)) else None


class PlanListFilter(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        error_messages={"max_length": SEARCH_TOO_LONG},
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + PlanStatus.choices)
    patient = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    ready_by_month = forms.CharField(
        label="Ready-by month",
        required=False,
        widget=MonthInput,
    )

    def clean_ready_by_month(self):
        value = self.cleaned_data["ready_by_month"]
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(MONTH_INVALID)
        return date(int(match[1]), int(match[2]), 1)

    def apply(self, plans, *, rows: int):
        """Apply every filter that validated; call after is_valid(). `rows`: how many plans
        from the top of the newest-first list the page reads (the search keeps that many of
        each of its halves, planner.selectors.plans_matching)."""
        data = self.cleaned_data
        if data.get("status"):
            plans = plans.filter(status=data["status"])
        if data.get("patient"):
            plans = plans.filter(patient_id=data["patient"])
        if data.get("ready_by_month"):
            month = data["ready_by_month"]
            plans = plans.filter(ready_by__year=month.year, ready_by__month=month.month)
        if data.get("q"):
            # Last, so that each half of the search keeps its newest plans among those the
            # other filters let through. Patients are found as the patient search finds them
            # (any word order, no accents, through the search index); the title by its text.
            plans = plans_matching(plans, text=data["q"], words=search_words(data["q"]), rows=rows)
        return plans

    def query_string(self) -> str:
        """The active filters, for pagination links."""
        from urllib.parse import urlencode

        if not self.is_valid():
            return ""
        values = {k: v for k, v in self.data.items() if k in self.fields and v}
        return urlencode(values)
