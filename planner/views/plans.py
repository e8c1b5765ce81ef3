"""Plan pages. One view serves a page and its htmx fragment; with JavaScript off the same
view recalculates on a plain submit."""

from copy import copy
from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap

from clinic.forms_util import int_or_none
from clinic.permissions import require_permission
from clinic.selectors import product_choices, treatment_choices
from planner import actions, workflow
from planner.access import get_patient_for_user, get_plan_for_user, plans_for_user
from planner.actions import PlanActionError
from planner.delivery.forms import PlanCompleteForm
from planner.delivery.selectors import plan_delivery
from planner.forms.plans import (
    COURSE_PREFIX,
    CourseFormSet,
    DueDiligenceAcknowledgementForm,
    InvestigationalForm,
    PlanForm,
    PlanListFilter,
    with_added_course,
    without_course,
)
from planner.history import plan_change_log
from planner.models import Plan, PlanStatus
from planner.pagination import window_page
from planner.planning import drafts_of, gaps_text, shown_fingerprint
from planner.scheduling import Interval, nth_session_date
from planner.selectors import due_diligence_gaps, plan_alternatives, plan_outlook_for

PLANS_PER_PAGE = 25
FIX_TO_RECALCULATE = (
    "Fix the highlighted fields to update the estimate; the figures shown are from the last "
    "valid entry."
)
PARTIAL_ESTIMATE = "Courses with errors are left out of the schedule and estimate until fixed."


@require_GET
@require_permission("planner.view_plan")
def plan_list(request):
    plans = plans_for_user(request)
    filters = PlanListFilter(request.GET)
    filters.is_valid()  # invalid fields are reported on the page; the valid ones still apply
    plans = filters.apply(plans)
    page = window_page(
        plans.order_by("-updated_at", "-id"), request.GET.get("page"), PLANS_PER_PAGE
    )
    return render(
        request,
        "planner/plan_list.html",
        {"page": page, "filters": filters, "query_string": filters.query_string()},
    )


def _course_defaults(treatments, drafts) -> dict[str, str]:
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


def _course_data(rows: list[dict]) -> dict[str, str]:
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


def _saved_course_rows(plan: Plan) -> list[dict]:
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
        for c in plan.courses.all()
    ]


def _plan_editor(request, *, plan: Plan | None, patient):
    existing = [c.treatment for c in plan.courses.all()] if plan else []
    treatments = treatment_choices(also=existing)
    products, lots = product_choices(also=plan.courses.all() if plan else ())
    action = request.POST.get("action", "recalculate") if request.method == "POST" else ""
    save_error = stale_plan_url = ""

    if request.method == "POST":
        data = request.POST
        if action == "add_course":
            posted = CourseFormSet(
                data,
                prefix=COURSE_PREFIX,
                form_kwargs={"treatments": treatments, "products": products, "lots": lots},
            )
            defaults = _course_defaults(treatments, posted.drafts() if posted.is_valid() else [])
            data = with_added_course(data, defaults=defaults)
        elif action.startswith("remove_course:"):
            index = int_or_none(action.partition(":")[2])
            data = without_course(data, -1 if index is None else index)
        version = int_or_none(data.get("version"))
        # A copy, so a refused save never shows unsaved values as the plan's own (heading).
        plan_form = PlanForm(data, instance=copy(plan) if plan else Plan(patient=patient))
        course_data = data
    else:
        version = plan.version if plan else None
        plan_form = PlanForm(instance=plan)
        rows = _saved_course_rows(plan) if plan else [_course_defaults(treatments, [])]
        course_data = _course_data(rows)
    form_kwargs = {
        "treatments": treatments,
        "products": products,
        "lots": lots,
        "refresh_url": request.get_full_path(),
    }
    formset = CourseFormSet(course_data, prefix=COURSE_PREFIX, form_kwargs=form_kwargs)
    courses_ok = formset.is_valid()
    plan_ok = plan_form.is_bound and plan_form.is_valid()

    if action == "save" and plan_ok and courses_ok:
        try:
            saved = actions.plan_save(
                plan=plan,
                patient=patient,
                fields=actions.PlanFields(
                    title=plan_form.cleaned_data["title"],
                    indications=plan_form.cleaned_data["indications"],
                    ready_by=plan_form.cleaned_data["ready_by"],
                    notes=plan_form.cleaned_data["notes"],
                ),
                drafts=formset.drafts(),
                user=request.user,
                expected_version=version,
            )
        except PlanActionError as error:
            save_error = str(error)
            if plan is not None and error.args[0] == actions.STALE_EDIT:
                # Staff now see the message and keep their input; the next save is theirs
                # to make knowingly, so it is checked against the version saved now.
                stale_plan_url = plan.get_absolute_url()
                version = Plan.objects.values_list("version", flat=True).get(pk=plan.pk)
        else:
            messages.success(request, f"Plan “{saved.title}” saved.")
            return redirect(saved)

    if plan_form.is_bound and action != "save":
        # While staff are still typing, only the fields that change the figures complain;
        # a blank title is reported when they save.
        for name in [n for n in plan_form.errors if n != "ready_by"]:
            del plan_form.errors[name]
    if plan_form.is_bound:
        ready_by_ok = "ready_by" not in plan_form.errors
        ready_by = plan_form.cleaned_data.get("ready_by") if ready_by_ok else None
    else:
        ready_by_ok, ready_by = True, plan.ready_by if plan else None
    outlook = plan_outlook_for(
        plan=plan, today=timezone.localdate(), drafts=formset.drafts(), ready_by=ready_by
    )
    input_errors = formset.has_course_errors() or not ready_by_ok
    context = {
        "patient": patient,
        "plan": plan,
        "plan_form": plan_form,
        "formset": formset,
        "outlook": outlook,
        "version": version,
        "save_error": save_error,
        "stale_plan_url": stale_plan_url,
        "status_message": PARTIAL_ESTIMATE if input_errors else "",
        "show_investigational_notice": True,
    }
    if request.htmx and action == "recalculate":
        context["status_message"] = FIX_TO_RECALCULATE if input_errors else ""
        response = render(request, "planner/_plan_results.html", {**context, "oob": True})
        if input_errors:
            # Keep the last good estimate on screen; only the messages change.
            reswap(response, "none")
        return response
    return render(request, "planner/plan_edit.html", context)


@require_http_methods(["GET", "POST"])
@require_permission("planner.add_plan")
def plan_create(request):
    patient_id = int_or_none(request.GET.get("patient") or request.POST.get("patient"))
    if patient_id is None:
        messages.info(request, "Choose the patient first, then start a plan from their page.")
        return redirect("patient-list")
    patient = get_patient_for_user(request, patient_id)
    return _plan_editor(request, plan=None, patient=patient)


@require_http_methods(["GET", "POST"])
@require_permission("planner.change_plan")
def plan_edit(request, pk):
    plan = get_plan_for_user(request, pk)
    if not plan.is_editable:
        messages.warning(
            request,
            f"This plan is {plan.get_status_display().lower()}: only a draft can be edited.",
        )
        return redirect(plan)
    return _plan_editor(request, plan=plan, patient=plan.patient)


def _plan_context(request, plan: Plan) -> dict:
    outlook = plan_outlook_for(plan=plan, today=timezone.localdate())
    gaps = outlook.due_diligence_gaps
    acknowledged = bool(gaps) and plan.due_diligence_gaps_acknowledged == gaps_text(gaps)
    shown = {"version": plan.version, "fingerprint": shown_fingerprint(drafts_of(plan), gaps)}
    return {
        "plan": plan,
        "patient": plan.patient,
        "outlook": outlook,
        "transitions": [
            (status, workflow.action_label(plan.status, status))
            for status in workflow.allowed_transitions(plan.status)
        ],
        "investigational": plan.has_investigational_course,
        "investigational_recorded": plan.investigational_recorded,
        "due_diligence_gaps": gaps,
        "due_diligence_acknowledged": acknowledged,
        "due_diligence_form": DueDiligenceAcknowledgementForm(initial=shown),
        "investigational_form": InvestigationalForm(
            initial={
                **shown,
                "reference": plan.investigational_reference,
                "patient_acknowledged": plan.patient_acknowledged_investigational,
            }
        ),
        "alternatives": plan_alternatives(plan=plan),
    }


@require_GET
@require_permission("planner.view_plan")
def plan_detail(request, pk):
    plan = get_plan_for_user(request, pk)
    context = {**_plan_context(request, plan), "change_log": plan_change_log(plan)}
    context["delivery"] = plan_delivery(plan=plan, today=timezone.localdate())
    context["complete_form"] = PlanCompleteForm(initial={"version": plan.version})
    return render(request, "planner/plan_detail.html", context)


@require_POST
@require_permission("planner.change_plan")
def plan_transition(request, pk):
    plan = get_plan_for_user(request, pk)
    target = request.POST.get("to", "")
    if target not in PlanStatus.values:
        messages.error(request, "Unknown status.")
        return redirect(plan)
    try:
        actions.plan_transition(
            plan=plan,
            to_status=target,
            user=request.user,
            expected_version=int_or_none(request.POST.get("version")) or 0,
        )
    except PlanActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Plan marked {plan.get_status_display().lower()}.")
    return redirect(plan)


@require_POST
@require_permission("planner.record_investigational_consent")
def plan_record_investigational(request, pk):
    plan = get_plan_for_user(request, pk)
    form = InvestigationalForm(request.POST)
    if not form.is_valid():
        context = _plan_context(request, plan)
        context["investigational_form"] = form
        return render(request, "planner/plan_detail.html", context, status=400)
    try:
        actions.plan_record_investigational(
            plan=plan,
            reference=form.cleaned_data["reference"],
            patient_acknowledged=form.cleaned_data["patient_acknowledged"],
            user=request.user,
            expected_version=form.cleaned_data["version"],
            expected_fingerprint=form.cleaned_data["fingerprint"],
        )
    except PlanActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "IND / trial reference and patient acknowledgement recorded.")
    return redirect(plan)


@require_POST
@require_permission("planner.acknowledge_due_diligence")
def plan_acknowledge_due_diligence(request, pk):
    plan = get_plan_for_user(request, pk)
    form = DueDiligenceAcknowledgementForm(request.POST)
    gaps = due_diligence_gaps(plan=plan, today=timezone.localdate())
    if not gaps:
        messages.info(request, "Every product in this plan has a complete due-diligence record.")
        return redirect(plan)
    if not form.is_valid():
        context = _plan_context(request, plan)
        context["due_diligence_form"] = form
        return render(request, "planner/plan_detail.html", context, status=400)
    try:
        actions.plan_acknowledge_due_diligence(
            plan=plan,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            expected_fingerprint=form.cleaned_data["fingerprint"],
        )
    except PlanActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Due-diligence gaps acknowledged.")
    return redirect(plan)


@require_POST
@require_permission("planner.add_plan")
def plan_duplicate(request, pk):
    plan = get_plan_for_user(request, pk)
    copy = actions.plan_duplicate(plan=plan, user=request.user)
    messages.success(request, f"Copied as a new draft: “{copy.title}”. Change it, then compare.")
    return redirect("plan-edit", pk=copy.pk)


@require_GET
@require_permission("planner.view_plan")
def plan_compare(request, pk, other_pk):
    plan = get_plan_for_user(request, pk)
    other = get_plan_for_user(request, other_pk)
    if plan.patient_id != other.patient_id:
        raise Http404("Plans of different patients cannot be compared.")
    columns = [_plan_context(request, p) for p in (plan, other)]
    return render(
        request,
        "planner/plan_compare.html",
        {"plan": plan, "other": other, "patient": plan.patient, "columns": columns},
    )
