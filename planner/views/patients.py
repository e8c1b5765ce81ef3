"""Patient pages: find a patient, keep their record, and start plans from it."""

from html import escape

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.formatting import format_date, format_date_time
from clinic.forms_util import int_or_none
from clinic.permissions import require_permission
from planner import actions
from planner.access import get_patient_for_user, patients_for_user
from planner.actions import PlanActionError
from planner.delivery.selectors import patient_lots
from planner.forms.patients import PatientForm, PatientSearchForm
from planner.models import Patient
from planner.pagination import window_page
from planner.selectors import (
    POSSIBLE_DUPLICATES_SHOWN,
    patient_list_rows,
    patient_plans,
    possible_duplicates,
)

PATIENTS_PER_PAGE = 25


def _url_for_each(name: str):
    """reverse(name, args=[pk]) for every row of a list at the cost of one reverse(): the
    URL is the same around the pk (an int path converter)."""
    marker = str(2**62 + 1)
    before, _, after = reverse(name, args=[marker]).rpartition(marker)
    return lambda pk: f"{before}{pk}{after}"


def _e(text) -> str:
    return escape(str(text))


def patient_rows_html(rows) -> SafeString:
    """The patient list's table rows, from patient_list_rows' values. Built here rather than
    in the template: a search may list 25 rows on a large database where it found 7 on a
    small one, and each row's seven lookups, filters and escapes in the template engine cost
    about 50 µs; here a row is one f-string (as the day board's rows: planner/board/rows.py).
    Everything a person typed goes through `_e`; dates read through clinic.formatting."""
    detail_url = _url_for_each("patient-detail")

    def row(values: dict) -> str:
        archived = ' <span class="badge">Archived</span>' if values["archived"] else ""
        born = format_date(values["date_of_birth"]) if values["date_of_birth"] else "—"
        contact = "<br>".join(_e(v) for v in (values["phone"], values["email"]) if v) or "—"
        updated = format_date_time(timezone.localtime(values["updated_at"]))
        return (
            f'<tr><td><a href="{detail_url(values["pk"])}">{_e(values["full_name"])}</a>'
            f'{archived}</td><td class="nowrap">{_e(born)}</td>'
            f'<td class="contact">{contact}</td><td class="num">{values["plan_count"]}</td>'
            f"<td>{_e(updated)}</td></tr>"
        )

    return mark_safe("".join(map(row, rows)))


@require_GET
@require_permission("planner.view_patient")
def patient_list(request):
    search = PatientSearchForm(request.GET)
    found = search.apply(patients_for_user(request).order_by("full_name", "id")).values("pk")
    page = window_page(found, request.GET.get("page"), PATIENTS_PER_PAGE, read=patient_list_rows)
    return render(
        request,
        "planner/patient_list.html",
        {
            "page": page,
            "rows": patient_rows_html(page.object_list),
            "search": search,
            "query_string": search.query_string(),
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission("planner.add_patient")
def patient_create(request):
    return _patient_form(request, patient=None)


@require_http_methods(["GET", "POST"])
@require_permission("planner.change_patient")
def patient_edit(request, pk):
    return _patient_form(request, patient=get_patient_for_user(request, pk))


def _patient_form(request, *, patient: Patient | None):
    # Read before binding: an invalid POST would otherwise show in the heading.
    saved_name = patient.full_name if patient else ""
    form = PatientForm(request.POST if request.method == "POST" else None, instance=patient)
    status = 200
    duplicates = []
    if request.method == "POST" and form.is_valid() and patient is None:
        if not form.cleaned_data.get("create_anyway"):
            duplicates = possible_duplicates(
                full_name=form.cleaned_data["full_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                phone=form.cleaned_data["phone"],
                email=form.cleaned_data["email"],
            )
        if duplicates:
            # Ask again, now with the "add anyway" box the staff member must tick.
            form = PatientForm({**request.POST.dict(), "create_anyway_offered": "1"}, instance=None)
            form.is_valid()
    if request.method == "POST" and form.is_valid() and not duplicates:
        try:
            saved = actions.patient_save(
                patient=patient,
                changes={
                    name: form.cleaned_data[name]
                    for name in actions.PATIENT_FIELDS
                    if name in form.fields
                },
                user=request.user,
                expected_version=form.cleaned_data.get("version"),
            )
        except PlanActionError as error:
            form.add_error(None, str(error))
            status = 409
        else:
            done = "Added" if patient is None else "Saved changes to"
            messages.success(request, f"{done} {saved.full_name}.")
            return redirect(saved)
    return render(
        request,
        "planner/patient_form.html",
        {
            "form": form,
            "patient": patient,
            "saved_name": saved_name,
            "duplicates": duplicates,
        },
        status=status,
    )


@require_GET
@require_permission("planner.view_patient")
def patient_detail(request, pk):
    patient = get_patient_for_user(request, pk)
    plans = patient_plans(patient=patient)
    lots_received = patient_lots(patient=patient)
    return render(
        request,
        "planner/patient_detail.html",
        {"patient": patient, "plans": plans, "lots_received": lots_received},
    )


@require_GET
@require_permission("planner.merge_patients")
def patient_merge_choose(request, pk):
    """The records that may be this patient's duplicates, each with a button to merge it in."""
    keep = get_patient_for_user(request, pk)
    candidates = [
        p
        for p in possible_duplicates(
            full_name=keep.full_name,
            date_of_birth=keep.date_of_birth,
            phone=keep.phone,
            email=keep.email,
            limit=POSSIBLE_DUPLICATES_SHOWN + 1,
        )
        if p.pk != keep.pk
    ]
    other = int_or_none(request.GET.get("other"))
    if other is not None and other != keep.pk:
        chosen = patients_for_user(request).filter(pk=other, merged_into__isnull=True).first()
        if chosen is not None and chosen not in candidates:
            candidates.insert(0, chosen)
    return render(
        request, "planner/patient_merge.html", {"patient": keep, "candidates": candidates}
    )


@require_POST
@require_permission("planner.merge_patients")
def patient_merge(request, pk):
    keep = get_patient_for_user(request, pk)
    merge = get_patient_for_user(request, int_or_none(request.POST.get("merge")) or 0)
    try:
        actions.patient_merge(
            keep=keep,
            merge=merge,
            user=request.user,
            expected_keep_version=int_or_none(request.POST.get("keep_version")) or 0,
            expected_merge_version=int_or_none(request.POST.get("merge_version")) or 0,
        )
    except PlanActionError as error:
        messages.error(request, str(error))
        return redirect("patient-merge-choose", pk=keep.pk)
    messages.success(request, f"Merged {merge.full_name} (#{merge.pk}) into this record.")
    return redirect(keep)
