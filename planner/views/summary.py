"""The patient summary: a print-ready page, the same summary as a PDF, and the sessions as
an .ics calendar. All three read the plan exactly as the plan page does; the only write is
one row in the access log (who opened which plan's material, and when), plus, for the PDF,
the shared cache of finished PDFs (planner.summary_pdf)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from clinic.permissions import require_permission
from planner import fragments, summary_pdf
from planner.access import get_plan_stamp_for_user, get_plan_with_catalog
from planner.calendar import calendar_ics
from planner.delivery.selectors import recorded_sessions, treatment_record
from planner.models import SummaryAccess
from planner.selectors import plan_outlook_for
from planner.summary import PlanSummary, paper_default, plan_summary_context

PAPER_SIZES = {"letter": "letter", "a4": "A4"}
# htmx stops polling on this status (the "being prepared" page's poll, once the PDF is ready).
HTMX_STOP_POLLING = 286


def _summary(request, pk, kind: str | None) -> PlanSummary:
    """The summary of plan `pk`, logged as opened (`kind`) unless kind is None."""
    plan, catalog = get_plan_with_catalog(request, pk, people=())
    if kind is not None:
        SummaryAccess.objects.create(plan=plan, user=request.user, kind=kind)
    today = timezone.localdate()
    return plan_summary_context(
        plan=plan,
        prepared_by=request.user,
        today=today,
        outlook=plan_outlook_for(plan=plan, today=today, catalog=catalog),
        evidence_notes=catalog.evidence_notes,
        upcoming_prices=catalog.upcoming_prices(today),
    )


def _filename(summary: PlanSummary, prefix: str, extension: str) -> str:
    """'summary-ann-lee-plan-42-2026-11-23.pdf': the patient, the plan (two plans of one
    patient never share a name) and the day it was prepared."""
    name = slugify(summary.patient_name) or "patient"
    plan = f"plan-{summary.plan.pk}"
    return f"{prefix}-{name}-{plan}-{summary.prepared_on.isoformat()}.{extension}"


@dataclass(frozen=True)
class SummarySheet:
    """The summary page's sheet as rendered, and the two names its <title> shows."""

    title: str
    patient_name: str
    html: str


def _summary_sheet(request, pk) -> SummarySheet:
    summary = _summary(request, pk, None)
    html = render_to_string(
        "planner/_summary_body.html",
        {"summary": summary, "treatment_record": treatment_record(plan=summary.plan)},
    )
    return SummarySheet(title=summary.title, patient_name=summary.patient_name, html=html)


@require_GET
@require_permission("planner.view_plan")
def plan_summary(request, pk):
    """The summary page. Its sheet is the PDF's content and, like the PDF, is kept in the
    shared cache under the plan's stamp (planner.summary_pdf.plan_stamp: everything the sheet
    shows), who prepares it and the day (planner.fragments)."""
    stamp = get_plan_stamp_for_user(request, pk)
    today = timezone.localdate()
    sheet = fragments.cached(
        "summary-sheet",
        summary_pdf.summary_parts(stamp=stamp, user=request.user, today=today),
        lambda: _summary_sheet(request, pk),
    )
    SummaryAccess.objects.create(plan_id=pk, user=request.user, kind=SummaryAccess.Kind.PAGE)
    return render(
        request,
        "planner/summary.html",
        # Rendered by the template engine, which escaped every value.
        {"sheet": sheet, "sheet_html": mark_safe(sheet.html), "plan_id": pk},
    )


# --- the PDF ------------------------------------------------------------------------------------


def _paper(request) -> str:
    """The paper asked for when it is one we print on, else the clinic's."""
    paper = request.GET.get("paper", "").lower()
    return paper if paper in PAPER_SIZES else paper_default()


def _with_paper(url: str, request) -> str:
    """`url` asking for the same paper as this request did, if it asked for one."""
    asked = request.GET.get("paper", "").lower()
    return f"{url}?{urlencode({'paper': asked})}" if asked in PAPER_SIZES else url


def _pdf_key(request, stamp: dict) -> str:
    return summary_pdf.cache_key(
        stamp=stamp, user=request.user, today=timezone.localdate(), paper=_paper(request)
    )


def _printed(request, pk) -> tuple[str, str]:
    """The HTML the PDF is rendered from, and the PDF's file name (a few queries and a
    template: cheap next to the render)."""
    summary = _summary(request, pk, None)
    html = render_to_string(
        "planner/summary_pdf.html",
        {
            "summary": summary,
            "page_size": PAPER_SIZES[_paper(request)],
            "treatment_record": treatment_record(plan=summary.plan),
        },
    )
    return html, _filename(summary, "summary", "pdf")


def _prepare(request, pk, key: str) -> summary_pdf.CachedPdf | None:
    """The PDF for a stamp key the cache does not hold, stored under it: the one rendered
    earlier from the same HTML if any, else rendered now; None when every render slot is
    taken. The slot is taken first: the HTML of a large plan costs tens of milliseconds, and
    while many PDFs wait, every poll of every "being prepared" page paid it (the storm of
    `make load`: some 800 polls of a 12 × 12 plan's summary in a minute)."""
    with summary_pdf.render_slot(request.user) as may_render:
        if not may_render:
            return None
        html, filename = _printed(request, pk)
        by_content = summary_pdf.content_key(html)
        pdf = summary_pdf.cached_render(by_content)
        if pdf is None:
            pdf = summary_pdf.render_pdf(html)
            summary_pdf.store_render(by_content, pdf)
    document = summary_pdf.CachedPdf(pdf=pdf, filename=filename)
    summary_pdf.store_pdf(key, document)
    return document


@require_GET
@require_permission("planner.view_plan")
def plan_summary_pdf(request, pk):
    """The summary as a PDF: from the shared cache when nothing it shows has changed, else
    rendered when a render slot is free, else the "being prepared" page (which asks again)."""
    # Permission and existence first, whatever the cache holds.
    stamp = get_plan_stamp_for_user(request, pk)
    key = _pdf_key(request, stamp)
    document = summary_pdf.cached_pdf(key) or _prepare(request, pk, key)
    if document is None:
        return redirect(_with_paper(reverse("plan-summary-pdf-preparing", args=[pk]), request))
    SummaryAccess.objects.create(plan_id=pk, user=request.user, kind=SummaryAccess.Kind.PDF)
    response = HttpResponse(document.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    return response


@require_GET
@require_permission("planner.view_plan")
def plan_summary_pdf_preparing(request, pk):
    """ "Your PDF is being prepared": where a PDF request goes while every render slot is
    taken. With JavaScript, htmx asks this view again every few seconds; as soon as the PDF
    is in the cache, or can be rendered now (which that request then does), the answer is
    the download link and the polling stops. Without JavaScript the page's link tries again."""
    stamp = get_plan_stamp_for_user(request, pk)
    ready = False
    if request.htmx:
        key = _pdf_key(request, stamp)
        ready = summary_pdf.cached_pdf(key) is not None
        if not ready and settings.SUMMARY_PDF_CACHE_SECONDS > 0:
            # Logged as opened when it is downloaded, not here.
            ready = _prepare(request, pk, key) is not None
        elif not ready:
            # With the cache off the download renders: say so once a slot is free.
            with summary_pdf.render_slot(request.user) as may_render:
                ready = may_render
    context = {
        "plan_id": pk,
        "pdf_url": _with_paper(reverse("plan-summary-pdf", args=[pk]), request),
        "poll_url": _with_paper(reverse("plan-summary-pdf-preparing", args=[pk]), request),
        "retry_seconds": settings.SUMMARY_PDF_RETRY_SECONDS,
        "ready": ready,
    }
    if request.htmx:
        if not ready:
            return HttpResponse(status=204)  # nothing to swap: the poll goes on
        response = render(request, "planner/_summary_pdf_status.html", context)
        response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "planner/summary_pdf_preparing.html", context)


@require_GET
@require_permission("planner.view_plan")
def plan_calendar(request, pk):
    summary = _summary(request, pk, SummaryAccess.Kind.CALENDAR)
    body = calendar_ics(summary, now=timezone.now(), records=recorded_sessions(summary.plan))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, _filename(summary, "sessions", "ics")
    )
    return response
