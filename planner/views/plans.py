"""Plan pages. One view serves a page and its htmx fragment; with JavaScript off the same
view recalculates on a plain submit."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap

from clinic.catalog_cache import Catalog, current_catalog
from clinic.forms_util import int_or_none
from clinic.permissions import require_permission
from planner import actions
from planner.access import (
    get_patient_for_user,
    get_plan_for_editor,
    get_plan_for_user,
    get_plan_with_catalog,
    plans_for_user,
)
from planner.actions import PlanActionError, StaleEditError
from planner.delivery.forms import PlanCompleteForm
from planner.delivery.selectors import plan_delivery
from planner.forms.editor import RECALCULATE, SAVE, PlanEditor
from planner.forms.plans import (
    DueDiligenceAcknowledgementForm,
    InvestigationalForm,
    PlanListFilter,
)
from planner.history import named
from planner.models import Plan, PlanStatus
from planner.pagination import rows_read, window_page
from planner.plan_page import plan_reading
from planner.planning import gaps_text
from planner.selectors import (
    due_diligence_gaps,
    plan_alternatives,
    plan_outlook_for,
    user_names,
)
from planner.signing.models import Deposit
from planner.signing.selectors import plan_signing_overview, share_links_exist

PLANS_PER_PAGE = 25
MERGED_RECORD_NO_PLAN = "{name} was merged into this record: start new plans here."


@require_GET
@require_permission("planner.view_plan")
def plan_list(request):
    filters = PlanListFilter(request.GET)
    filters.is_valid()  # invalid fields are reported on the page; the valid ones still apply
    number = request.GET.get("page")
    plans = filters.apply(plans_for_user(request), rows=rows_read(number, PLANS_PER_PAGE))
    page = window_page(plans.order_by("-updated_at", "-id"), number, PLANS_PER_PAGE)
    return render(
        request,
        "planner/plan_list.html",
        {"page": page, "filters": filters, "query_string": filters.query_string()},
    )


def _plan_editor(request, *, plan: Plan | None, patient, catalog: Catalog, courses=None):
    editor = PlanEditor.from_request(
        request, plan=plan, patient=patient, catalog=catalog, courses=courses
    )
    if editor.wants_save and editor.savable:
        try:
            saved = actions.plan_save(
                plan=plan,
                patient=patient,
                fields=editor.plan_fields(),
                drafts=editor.drafts(),
                user=request.user,
                expected_version=editor.version,
            )
        except StaleEditError as error:
            editor.refused(str(error), current_version=error.current_version)
        except PlanActionError as error:
            editor.refused(str(error))
        else:
            messages.success(request, f"Plan “{saved.title}” saved.")
            return redirect(saved)

    context = editor.context(outlook=editor.outlook(), htmx=bool(request.htmx))
    if not request.htmx or editor.wants_save:
        return render(request, "planner/plan_edit.html", {**context, "oob": False})
    response = render(request, editor.fragment, context)
    if editor.action == RECALCULATE and editor.input_errors:
        # Keep the last good estimate on screen; only the messages and marked fields change.
        reswap(response, "none")
    return response


@require_http_methods(["GET", "POST"])
@require_permission("planner.add_plan")
def plan_create(request):
    patient_id = int_or_none(request.GET.get("patient") or request.POST.get("patient"))
    if patient_id is None:
        messages.info(request, "Choose the patient first, then start a plan from their page.")
        return redirect("patient-list")
    patient = get_patient_for_user(request, patient_id)
    if patient.merged_into_id:
        # An archived duplicate: a plan started here would sit on the wrong record.
        messages.info(request, MERGED_RECORD_NO_PLAN.format(name=patient.full_name))
        return redirect("patient-detail", pk=patient.merged_into_id)
    return _plan_editor(request, plan=None, patient=patient, catalog=current_catalog())


@require_http_methods(["GET", "POST"])
@require_permission("planner.change_plan")
def plan_edit(request, pk):
    # An htmx fragment (recalculate, add, remove, refresh) shows no patient and reads only
    # the plan's editable fields: only the page, and a save, which may answer with the page,
    # read the whole plan and its patient.
    page = not request.htmx or request.POST.get("action", "").partition(":")[0] == SAVE
    if page:
        plan, catalog = get_plan_with_catalog(request, pk, people=())
        courses = plan.courses.all()
    else:
        plan, courses, catalog = get_plan_for_editor(request, pk)
    if not plan.is_editable:
        messages.warning(
            request,
            f"This plan is {plan.get_status_display().lower()}: only a draft can be edited.",
        )
        return redirect(plan)
    patient = plan.patient if page else None
    return _plan_editor(request, plan=plan, patient=patient, catalog=catalog, courses=courses)


def _plan_context(
    request, plan: Plan, catalog: Catalog | None = None, *, change_log: bool = False
) -> dict:
    """What the plan page shows of a plan: its reading (planner.plan_page, kept in the shared
    cache), the names of who last changed it, recorded its IND reference and acknowledged
    its gaps (read afresh), the forms that sign off what is shown, and the patient's other
    plans; with `change_log`, the change log too."""
    catalog = catalog or current_catalog()
    reading = plan_reading(plan=plan, catalog=catalog, today=timezone.localdate())
    gaps = list(reading.due_diligence_gaps)
    acknowledged = bool(gaps) and plan.due_diligence_gaps_acknowledged == gaps_text(gaps)
    shown = {"version": plan.version, "fingerprint": reading.fingerprint}
    people = {
        "updated_by": plan.updated_by_id,
        "investigational_recorded_by": plan.investigational_recorded_by_id,
        "due_diligence_acknowledged_by": plan.due_diligence_acknowledged_by_id,
    }
    log = reading.change_log if change_log else ()
    # Whoever was read with the plan, and the viewer, are named without a query.
    known = [request.user] + [
        getattr(plan, role)
        for role in people
        if Plan._meta.get_field(role).is_cached(plan) and getattr(plan, role) is not None
    ]
    names = user_names([*people.values(), *(record.who_id for record in log)], known=known)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "transitions": reading.moves,
        "investigational": reading.investigational,
        "investigational_recorded": plan.investigational_recorded,
        "due_diligence_gaps": gaps,
        "due_diligence_acknowledged": acknowledged,
        "due_diligence_form": DueDiligenceAcknowledgementForm(initial=shown),
        "investigational_form": InvestigationalForm(
            initial={
                **shown,
                "reference": plan.investigational_reference,
            }
        ),
        "alternatives": plan_alternatives(plan=plan),
        # Rendered by the template engine, which escaped every value.
        "results_html": mark_safe(reading.results_html),
        "treatment_kinds": reading.treatment_kinds,
        **{role: names.get(pk, "") for role, pk in people.items()},
    }
    if change_log:
        context["change_log"] = named(log, names)
    return context


NOT_YOUR_DRAFT = "Only the draft's author or a clinician can delete it."


def _may_delete_draft(user, plan: Plan) -> bool:
    return plan.status == PlanStatus.DRAFT and (
        plan.created_by_id == user.pk or user.has_perm("planner.discard_any_draft")
    )


@require_GET
@require_permission("planner.view_plan")
def plan_detail(request, pk):
    plan, catalog = get_plan_with_catalog(
        request,
        pk,
        people=("updated_by",),
        courses=False,
        annotations={"has_share_links": share_links_exist()},
    )
    context = _plan_context(request, plan, catalog, change_log=True)
    context.update(
        {
            "can_delete_draft": _may_delete_draft(request.user, plan),
            "signing": plan_signing_overview(
                plan=plan,
                catalog=catalog,
                treatment_kinds=context["treatment_kinds"],
                has_links=plan.has_share_links,
            ),
            "deposit_methods": Deposit.Method.choices,
        }
    )
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
            user=request.user,
            expected_version=form.cleaned_data["version"],
            expected_fingerprint=form.cleaned_data["fingerprint"],
        )
    except PlanActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "IND / trial reference recorded.")
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


@require_POST
@require_permission("planner.change_plan")
def plan_delete_draft(request, pk):
    plan = get_plan_for_user(request, pk)
    if plan.created_by_id != request.user.pk and not request.user.has_perm(
        "planner.discard_any_draft"
    ):
        raise PermissionDenied(NOT_YOUR_DRAFT)
    # A non-draft is refused by the action, with its reason.
    try:
        actions.plan_delete_draft(
            plan=plan,
            user=request.user,
            expected_version=int_or_none(request.POST.get("version")) or 0,
        )
    except PlanActionError as error:
        messages.error(request, str(error))
        return redirect(plan)
    messages.success(request, f"Draft “{plan.title}” deleted.")
    return redirect(plan.patient)


@require_GET
@require_permission("planner.view_plan")
def plan_compare(request, pk, other_pk):
    plan, catalog = get_plan_with_catalog(request, pk, people=())
    other, _ = get_plan_with_catalog(request, other_pk, people=())
    if plan.patient_id != other.patient_id:
        raise Http404("Plans of different patients cannot be compared.")
    today = timezone.localdate()
    columns = [
        {"plan": p, "outlook": plan_outlook_for(plan=p, today=today, catalog=catalog)}
        for p in (plan, other)
    ]
    return render(
        request,
        "planner/plan_compare.html",
        {"plan": plan, "other": other, "patient": plan.patient, "columns": columns},
    )
