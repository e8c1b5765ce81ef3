"""The plan editor's state: the plan form and the course formset bound from one request,
which button was pressed, whether the input can be saved, and which fragment answers it.

The view only asks this object and calls the action; the rules for rows (a new course's
defaults, removing one and renumbering the rest) live here, beside it."""

from copy import copy
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from clinic.catalog_cache import Catalog
from clinic.forms_util import int_or_none
from clinic.selectors import product_choices, treatment_choices
from planner.actions import PlanFields
from planner.forms.plans import (
    COURSE_PREFIX,
    CourseForm,
    CourseFormSet,
    PlanForm,
    course_count,
)
from planner.models import Plan
from planner.planning import CourseDraft, PlanOutlook
from planner.scheduling import Interval, nth_session_date
from planner.selectors import plan_outlook_for

FIX_TO_RECALCULATE = (
    "Fix the highlighted fields to update the estimate; the figures shown are from the last "
    "valid entry."
)
PARTIAL_ESTIMATE = "Courses with errors are left out of the schedule and estimate until fixed."
NOTHING_SAVED = "Nothing was saved: fix the {count} field{plural} below."

ADD = "add_course"
REMOVE = "remove_course"
REFRESH = "refresh"
RECALCULATE = "recalculate"
SAVE = "save"


def course_defaults(treatments, drafts: list[CourseDraft]) -> dict[str, str]:
    """A new course starts valid: a treatment with a documented interval and its typical
    number of sessions, booked one interval after the last session planned so far."""
    treatment = next(
        (t for t in treatments.values() if t.interval_count and not t.is_investigational),
        next(iter(treatments.values()), None),
    )
    first = timezone.localdate() + timedelta(days=7)
    if drafts:
        last = drafts[-1]
        interval = Interval(last.interval_count, last.interval_unit)
        first = nth_session_date(last.first_session, interval, last.sessions)
    return {
        "treatment": str(treatment.pk) if treatment else "",
        "sessions": str((treatment.sessions_max if treatment else None) or 1),
        "interval_count": "",
        "interval_unit": "",
        "first_session": first.isoformat(),
        "exosome_source": "",
        "product": "",
        "lot": "",
    }


def course_data(rows: list[dict]) -> dict[str, str]:
    """Course rows as the formset's posted data, so a fresh page and a submitted one go
    through the same validation."""
    data = {
        f"{COURSE_PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{COURSE_PREFIX}-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{COURSE_PREFIX}-{index}-{name}"] = "" if value is None else str(value)
    return data


def saved_course_rows(courses) -> list[dict]:
    return [
        {
            "treatment": c.treatment_id,
            "sessions": c.sessions,
            "interval_count": c.interval_count,
            "interval_unit": c.interval_unit,
            "first_session": c.first_session.isoformat(),
            "exosome_source": c.exosome_source,
            "product": c.product_id or "",
            "lot": c.lot_id or "",
        }
        for c in courses
    ]


def with_added_course(data, *, defaults: dict[str, str]):
    """Posted data plus one more course, pre-filled so it is valid from the start."""
    data = data.copy()
    count = course_count(data)
    if count >= CourseFormSet.max_num:
        return data
    for name, value in defaults.items():
        data[f"{COURSE_PREFIX}-{count}-{name}"] = value
    data[f"{COURSE_PREFIX}-TOTAL_FORMS"] = str(count + 1)
    return data


def without_course(data, index: int):
    """Posted data with one course taken out and the ones after it renumbered."""
    count = course_count(data)
    if not 0 <= index < count or count <= 1:
        return data
    data = data.copy()
    names = list(CourseForm.base_fields)
    for i in range(index, count - 1):
        for name in names:
            data.setlist(
                f"{COURSE_PREFIX}-{i}-{name}", data.getlist(f"{COURSE_PREFIX}-{i + 1}-{name}")
            )
    for name in names:
        data.pop(f"{COURSE_PREFIX}-{count - 1}-{name}", None)
    data[f"{COURSE_PREFIX}-TOTAL_FORMS"] = str(count - 1)
    return data


@dataclass
class ErrorLink:
    """One line of the error summary: the message and the id of the field it is about."""

    field_id: str
    label: str
    message: str


class PlanEditor:
    """One editing screen's state, bound from a GET (the saved plan, or a new plan's default
    course) or a POST (what the user typed, after Add or Remove reshaped the rows)."""

    def __init__(self, *, plan: Plan | None, patient, catalog: Catalog, data=None, courses=None):
        """`courses`: the plan's saved courses, with their treatments, products and lots (by
        default the plan's prefetched ones)."""
        self.plan, self.patient, self.catalog = plan, patient, catalog
        if courses is None:
            courses = plan.courses.all() if plan else ()
        courses = list(courses)
        self.treatments = treatment_choices(catalog, also=[c.treatment for c in courses])
        self.products, self.lots = product_choices(catalog, also=courses)
        self.action, self.course_index = "", None
        self.save_error = ""
        self.stale_plan_url = ""
        if data is None:
            self.version = plan.version if plan else None
            self.plan_form = PlanForm(instance=plan)
            rows = saved_course_rows(courses) if plan else [course_defaults(self.treatments, [])]
            self.formset = self._formset(course_data(rows))
        else:
            action, _, index = data.get("action", "").partition(":")
            # Anything else (Enter, the results panel, a hand-made request) recalculates.
            self.action = action if action in (ADD, REMOVE, REFRESH, SAVE) else RECALCULATE
            self.course_index = int_or_none(index or data.get("course"))
            data = self._reshaped(data)
            self.version = int_or_none(data.get("version"))
            # A copy, so a refused save never shows unsaved values as the plan's own heading.
            instance = copy(plan) if plan else Plan(patient=patient)
            self.plan_form = PlanForm(data, instance=instance, check_model=self.action == SAVE)
            self.formset = self._formset(data)
        self.courses_ok = self.formset.is_valid()
        self.plan_ok = self.plan_form.is_bound and self.plan_form.is_valid()

    @classmethod
    def from_request(
        cls, request, *, plan: Plan | None, patient, catalog, courses=None
    ) -> "PlanEditor":
        data = request.POST if request.method == "POST" else None
        return cls(plan=plan, patient=patient, catalog=catalog, data=data, courses=courses)

    def _formset(self, data):
        kwargs = {"treatments": self.treatments, "products": self.products, "lots": self.lots}
        return CourseFormSet(data, prefix=COURSE_PREFIX, form_kwargs=kwargs)

    def _reshaped(self, data):
        if self.action == ADD:
            posted = self._formset(data)
            drafts = posted.drafts() if posted.is_valid() else []
            return with_added_course(data, defaults=course_defaults(self.treatments, drafts))
        if self.action == REMOVE:
            return without_course(data, -1 if self.course_index is None else self.course_index)
        return data

    # --- saving ----------------------------------------------------------------------------

    @property
    def wants_save(self) -> bool:
        return self.action == SAVE

    @property
    def savable(self) -> bool:
        return self.plan_ok and self.courses_ok

    def plan_fields(self) -> PlanFields:
        data = self.plan_form.cleaned_data
        return PlanFields(
            title=data["title"],
            indications=data["indications"],
            ready_by=data["ready_by"],
            notes=data["notes"],
        )

    def drafts(self) -> list[CourseDraft]:
        return self.formset.drafts()

    def refused(self, message: str, *, current_version: int | None = None):
        """The save was refused. When it was stale, the input stays and the next save is
        checked against the version saved now: staff make it knowingly."""
        self.save_error = message
        if current_version is not None and self.plan is not None:
            self.version = current_version
            self.stale_plan_url = self.plan.get_absolute_url()

    # --- what the page shows ---------------------------------------------------------------

    def outlook(self) -> PlanOutlook:
        """The schedule, estimate and checks of the courses on screen, at today's prices."""
        return plan_outlook_for(
            plan=self.plan,
            today=timezone.localdate(),
            drafts=self.drafts(),
            ready_by=self.ready_by(),
            catalog=self.catalog,
        )

    def ready_by(self):
        if not self.plan_form.is_bound:
            return self.plan.ready_by if self.plan else None
        return self.plan_form.cleaned_data.get("ready_by") if self.ready_by_ok else None

    @property
    def ready_by_ok(self) -> bool:
        return "ready_by" not in self.plan_form.errors

    @property
    def input_errors(self) -> bool:
        return self.formset.has_course_errors() or not self.ready_by_ok

    def _quiet_plan_errors(self):
        # While staff are still typing, only the fields that change the figures complain;
        # a blank title is reported when they save.
        if self.plan_form.is_bound and not self.wants_save:
            for name in [n for n in self.plan_form.errors if n != "ready_by"]:
                del self.plan_form.errors[name]

    def error_links(self) -> list[ErrorLink]:
        """Every field error on the page, in page order, for the summary after a failed save."""
        links = []
        forms = [self.plan_form, *self.formset.forms]
        for number, form in enumerate(forms):
            prefix = f"Course {number}: " if number else ""
            for field in form:
                for message in field.errors:
                    label = f"{prefix}{field.label}"
                    links.append(ErrorLink(field.auto_id, label, message))
        return links

    @property
    def fragment(self) -> str:
        """The template that answers an htmx request: only the part the action changed."""
        return {
            ADD: "planner/_editor_courses.html",
            REMOVE: "planner/_editor_courses.html",
            REFRESH: "planner/_editor_product_fields.html",
        }.get(self.action, "planner/_plan_results.html")

    @property
    def refresh_form(self):
        forms = self.formset.forms
        index = self.course_index if self.course_index is not None else 0
        return forms[index] if 0 <= index < len(forms) else (forms[0] if forms else None)

    def context(self, *, outlook, htmx: bool) -> dict:
        self._quiet_plan_errors()
        # A live recalculation with errors keeps the last good figures on screen: say so.
        stale = htmx and self.action == RECALCULATE and self.input_errors
        status = ""
        if self.input_errors:
            status = FIX_TO_RECALCULATE if stale else PARTIAL_ESTIMATE
        error_links = self.error_links() if self.wants_save and not self.savable else []
        return {
            "patient": self.patient,
            "plan": self.plan,
            "plan_form": self.plan_form,
            "formset": self.formset,
            "outlook": outlook,
            "version": self.version,
            "save_error": self.save_error,
            "stale_plan_url": self.stale_plan_url,
            "status_message": status,
            "stale": stale,
            "error_links": error_links,
            "nothing_saved": (
                NOTHING_SAVED.format(
                    count=len(error_links), plural="" if len(error_links) == 1 else "s"
                )
                if error_links
                else ""
            ),
            "refresh_form": self.refresh_form,
            "show_investigational_notice": True,
            "oob": htmx,
        }
