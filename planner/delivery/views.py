"""Session pages (perform, reschedule, close, adverse event), the day list, and the lot page
with its recall list, CSV and letters. Each view declares its permission; the rules live in
planner.delivery.actions and clinic.lots.actions."""

import csv
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.formatting import neutralise
from clinic.lots import actions as lot_actions
from clinic.lots.rules import point_of_use_problems
from clinic.models import LotStatus, ProductLot
from clinic.permissions import check_permission, require_permission
from planner import wording
from planner.access import get_plan_for_user
from planner.delivery import actions, selectors
from planner.delivery.forms import (
    AdverseEventForm,
    CloseForm,
    LotStatusForm,
    PerformForm,
    PlanCompleteForm,
    RescheduleForm,
    StorageReadingForm,
)
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.models import Patient

# Cells a spreadsheet would read as a formula start with one of these.


def _session(request, pk) -> TreatmentSession:
    check_permission(request.user, "planner.view_plan")
    return selectors.get_session(pk)


def _course_context(session: TreatmentSession):
    rows = selectors.course_sessions(course_id=session.course_id)
    later = [s for s in rows if s.number > session.number and s.is_open]
    return rows, later


def _back(session):
    return redirect(session.plan)


def _plan_sessions(session):
    return selectors.plan_sessions(plan=session.plan)


@require_http_methods(["GET", "POST"])
@require_permission("planner.perform_session")
def session_perform(request, pk):
    session = _session(request, pk)
    rows, later = _course_context(session)
    state = selectors.course_state(rows)
    initial = {
        "state": state,
        "performed_on": min(session.planned_date, timezone.localdate()),
        "performer": request.user.pk,
        "lot": session.planned_lot_id,
    }
    form = PerformForm(request.POST or None, initial=initial, session=session, later_sessions=later)
    preview = problems = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lot = data.get("lot")
        if lot is not None:
            problems = point_of_use_problems(
                lot, lot.product, lot.storage_checks.all(), on=data["performed_on"]
            )
        preview = selectors.performance_preview(
            plan=session.plan,
            sessions=_plan_sessions(session),
            session=session,
            performed_on=data["performed_on"],
            keep_fixed=data["keep_fixed"],
            today=timezone.localdate(),
        )
        if data["confirm"] or not preview.moves:
            try:
                actions.session_perform(
                    session=session,
                    performed_on=data["performed_on"],
                    performer=data["performer"],
                    lot=lot,
                    notes=data["notes"],
                    override_reason=data.get("override_reason", ""),
                    keep_fixed=data["keep_fixed"],
                    user=request.user,
                    expected_state=data["state"],
                )
            except actions.LotRefused as refused:
                problems = refused.problems
                form.add_error(None, actions.LOT_REFUSED)
            except actions.SessionActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Session {session.number} recorded as performed.")
                return _back(session)
    return render(
        request,
        "planner/delivery/session_perform.html",
        {"session": session, "form": form, "preview": preview, "problems": problems},
    )


@require_http_methods(["GET", "POST"])
@require_permission("planner.reschedule_session")
def session_reschedule(request, pk):
    session = _session(request, pk)
    rows, later = _course_context(session)
    form = RescheduleForm(
        request.POST or None,
        initial={
            "state": selectors.course_state(rows),
            "new_date": session.planned_date,
            "new_time": session.planned_time,
        },
        later_sessions=later,
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not session.is_open:
            form.add_error(
                None,
                actions.NOT_OPEN.format(
                    number=session.number, status=session.get_status_display().lower()
                ),
            )
        else:
            preview = selectors.reschedule_preview(
                plan=session.plan,
                sessions=_plan_sessions(session),
                session=session,
                new_date=data["new_date"],
                keep_fixed=data["keep_fixed"],
                today=timezone.localdate(),
            )
        if preview is not None and data["confirm"]:
            try:
                actions.session_reschedule(
                    session=session,
                    new_date=data["new_date"],
                    new_time=data["new_time"],
                    keep_fixed=data["keep_fixed"],
                    user=request.user,
                    expected_state=data["state"],
                )
            except actions.SessionActionError as error:
                form.add_error(None, str(error))
                preview = None
            else:
                messages.success(request, f"Session {session.number} rescheduled.")
                return _back(session)
    return render(
        request,
        "planner/delivery/session_reschedule.html",
        {"session": session, "form": form, "preview": preview},
    )


@require_POST
@require_permission("planner.reschedule_session")
def session_close(request, pk):
    session = _session(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose no-show or cancelled.")
        return _back(session)
    try:
        actions.session_close(
            session=session,
            status=form.cleaned_data["status"],
            user=request.user,
            expected_state=form.cleaned_data["state"],
        )
    except actions.SessionActionError as error:
        messages.error(request, str(error))
    else:
        label = SessionStatus(form.cleaned_data["status"]).label.lower()
        messages.success(request, f"Session {session.number} marked {label}.")
    if request.POST.get("next") == "day":
        return redirect(f"{reverse('session-day')}?date={session.planned_date.isoformat()}")
    return _back(session)


@require_http_methods(["GET", "POST"])
@require_permission("planner.record_adverse_event")
def adverse_event_create(request, pk):
    session = _session(request, pk)
    if session.status != SessionStatus.PERFORMED:
        raise Http404("Adverse events are recorded against performed sessions.")
    rows, _ = _course_context(session)
    form = AdverseEventForm(
        request.POST or None,
        initial={"state": selectors.course_state(rows), "noticed_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.adverse_event_record(
                session=session,
                user=request.user,
                expected_state=form.cleaned_data.pop("state"),
                **form.cleaned_data,
            )
        except actions.SessionActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Adverse event recorded.")
            return _back(session)
    return render(
        request, "planner/delivery/adverse_event.html", {"session": session, "form": form}
    )


@require_POST
@require_permission("planner.change_plan")
def plan_complete(request, pk):
    plan = get_plan_for_user(request, pk)
    form = PlanCompleteForm(request.POST)
    if form.is_valid():
        try:
            actions.plan_complete(
                plan=plan,
                reason=form.cleaned_data["reason"],
                user=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except actions.SessionActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Plan marked completed.")
    else:
        messages.error(request, actions.REASON_NEEDED)
    return redirect(plan)


@require_GET
@require_permission("planner.view_plan")
def session_day(request):
    day = _parse_day(request.GET.get("date")) or timezone.localdate()
    return render(
        request,
        "planner/delivery/session_day.html",
        {"day": day, "sessions": selectors.sessions_on(day=day), "today": timezone.localdate()},
    )


def _parse_day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# Lots -----------------------------------------------------------------------------------------


@require_GET
@require_permission("planner.view_lot_recall")
def lot_list(request):
    query = request.GET.get("q", "").strip()
    lots = ProductLot.objects.select_related("product").order_by("product__name", "-received_on")
    if query:
        lots = lots.filter(lot_number__icontains=query)
    return render(request, "planner/delivery/lot_list.html", {"lots": lots[:200], "query": query})


@require_GET
@require_permission("planner.view_lot_recall")
def lot_detail(request, pk):
    lot, readings = selectors.lot_with_readings(pk)
    pages = {name: request.GET.get(name) for name in selectors.RECALL_LISTS}
    recall = selectors.lot_recall_page(lot=lot, pages=pages)
    _add_row_links(lot, recall)
    user = request.user
    return render(
        request,
        "planner/delivery/lot_detail.html",
        {
            "lot": lot,
            "recall": recall,
            "keep_pages": _other_pages(recall),
            # Asked once here, not per row in the template (each `perms.` lookup walks the
            # backends again); the POST views check them again server-side.
            "can_contact": user.has_perm("planner.contact_recall_patients"),
            "can_change_status": user.has_perm("clinic.change_lot_status"),
            "can_recall": user.has_perm("clinic.recall_lot"),
            "can_record_reading": user.has_perm("clinic.add_storagecheck"),
            "status_form": LotStatusForm(initial={"version": lot.version}, lot=lot),
            "reading_form": StorageReadingForm(
                initial={"version": lot.version, "checked_on": timezone.localdate()}
            ),
            "readings": readings,
            "problems_today": point_of_use_problems(
                lot, lot.product, readings, on=timezone.localdate()
            ),
        },
    )


# An id no row has: reverse() once with it, then each row's id is put in its place.
_ROW_ID = 2_147_483_647


def _row_link(name: str, *fixed):
    """A per-row address maker: one reverse() per list instead of one per row and link (a
    page of the lot's lists holds a hundred links; reverse() cost a tenth of the page)."""
    head, tail = reverse(name, args=[*fixed, _ROW_ID]).rsplit(str(_ROW_ID), 1)
    return lambda pk: f"{head}{pk}{tail}"


def _add_row_links(lot, recall) -> None:
    patient, plan = _row_link("patient-detail"), _row_link("plan-detail")
    contacted = _row_link("lot-recall-contacted", lot.pk)
    letter = _row_link("lot-recall-letter", lot.pk)
    letter_pdf = _row_link("lot-recall-letter-pdf", lot.pk)
    for p in recall.patients:
        p["url"], p["contacted_url"] = patient(p["pk"]), contacted(p["pk"])
        p["letter_url"], p["letter_pdf_url"] = letter(p["pk"]), letter_pdf(p["pk"])
    for s in [*recall.performed, *recall.planned]:
        s["url"] = f"{plan(s['plan_id'])}#session-{s['pk']}"


def _other_pages(recall) -> dict[str, str]:
    """For each list's page links: the query string keeping the other lists where they are."""
    numbers = {name: getattr(recall, name).number for name in selectors.RECALL_LISTS}
    return {
        name: urlencode({other: n for other, n in numbers.items() if other != name and n > 1})
        for name in numbers
    }


@require_POST
@require_permission("planner.view_lot_recall", "clinic.change_lot_status")
def lot_change_status(request, pk):
    lot = selectors.lot_for_page(pk)
    form = LotStatusForm(request.POST, lot=lot)
    if not form.is_valid():
        messages.error(request, "Choose a status and say why.")
        return redirect("lot-detail", lot.pk)
    try:
        lot_actions.lot_change_status(
            lot=lot,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
            user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except lot_actions.LotActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Lot {lot.lot_number} marked {lot.get_status_display().lower()}."
        )
    return redirect("lot-detail", lot.pk)


@require_POST
@require_permission("planner.view_lot_recall", "clinic.add_storagecheck")
def lot_storage_reading(request, pk):
    lot = selectors.lot_for_page(pk)
    form = StorageReadingForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form[field].label if field in form.fields else "Reading"
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("lot-detail", lot.pk)
    try:
        lot_actions.storage_check_record(
            lot=lot,
            checked_on=form.cleaned_data["checked_on"],
            temperature_celsius=form.cleaned_data["temperature_celsius"],
            notes=form.cleaned_data["notes"],
            user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except lot_actions.LotActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Storage reading recorded.")
    return redirect("lot-detail", lot.pk)


@require_GET
@require_permission("planner.view_lot_recall", "planner.contact_recall_patients")
def lot_recall_csv(request, pk):
    lot = selectors.lot_for_page(pk)
    recall = selectors.lot_recall(lot=lot)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"recall-{slugify(lot.lot_number) or lot.pk}.csv"
    )
    writer = csv.writer(response)
    writer.writerow(
        ["patient", "date of birth", "phone", "email", "received on", "planned on", "contacted"]
    )
    received: dict[int, list[str]] = {}
    planned: dict[int, list[str]] = {}
    for s in recall.performed:
        received.setdefault(s.plan.patient_id, []).append(s.performed_on.isoformat())
    for s in recall.planned:
        planned.setdefault(s.plan.patient_id, []).append(s.planned_date.isoformat())
    for patient, contact in recall.patients:
        writer.writerow(
            neutralise(v)
            for v in (
                patient.full_name,
                patient.date_of_birth.isoformat() if patient.date_of_birth else "",
                patient.phone,
                patient.email,
                " ".join(received.get(patient.pk, [])),
                " ".join(planned.get(patient.pk, [])),
                timezone.localtime(contact.contacted_at).isoformat(timespec="minutes")
                if contact
                else "",
            )
        )
    return response


def _letter_context(request, pk, patient_pk):
    lot = selectors.lot_for_page(pk)
    check_permission(request.user, "planner.view_patient")
    if lot.status != LotStatus.RECALLED:
        # The letter says the lot "has been recalled": never true of any other lot.
        raise Http404("Recall letters are written for a recalled lot only.")
    patient = get_object_or_404(Patient, pk=patient_pk)
    sessions = selectors.patient_recall_sessions(lot=lot, patient=patient)
    if not sessions:
        raise Http404("This patient has no session with this lot.")
    return {
        "lot": lot,
        "patient": patient,
        "received": [s for s in sessions if s.status == SessionStatus.PERFORMED],
        "planned": [s for s in sessions if s.status == SessionStatus.PLANNED],
        "clinic_name": settings.CLINIC_NAME,
        "clinic_address": settings.CLINIC_ADDRESS,
        "clinic_contact": settings.CLINIC_CONTACT,
        "today": timezone.localdate(),
        "intro": wording.RECALL_LETTER_INTRO.format(lot=lot.lot_number, product=lot.product.name),
        "what_to_do": wording.RECALL_LETTER_WHAT_TO_DO,
        "medwatch": wording.RECALL_LETTER_MEDWATCH,
    }


@require_GET
@require_permission("planner.view_lot_recall", "planner.contact_recall_patients")
def lot_recall_letter(request, pk, patient_pk):
    context = _letter_context(request, pk, patient_pk)
    return render(request, "planner/delivery/recall_letter.html", context)


@require_GET
@require_permission("planner.view_lot_recall", "planner.contact_recall_patients")
def lot_recall_letter_pdf(request, pk, patient_pk):
    from weasyprint import HTML

    from planner.summary_pdf import PDF_BASE_URL, static_only_fetcher

    context = _letter_context(request, pk, patient_pk)
    html = render_to_string("planner/delivery/recall_letter_pdf.html", context)
    pdf = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_fetcher()).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(context["patient"].full_name) or "patient"
    response["Content-Disposition"] = content_disposition_header(
        True, f"recall-{slugify(context['lot'].lot_number)}-{name}.pdf"
    )
    return response


@require_POST
@require_permission("planner.view_lot_recall", "planner.contact_recall_patients")
def lot_recall_contacted(request, pk, patient_pk):
    lot = selectors.lot_for_page(pk)
    patient = get_object_or_404(Patient, pk=patient_pk)
    try:
        actions.recall_contact_tick(lot=lot, patient=patient, user=request.user)
    except actions.SessionActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{patient.full_name} marked contacted.")
    return redirect("lot-detail", lot.pk)
