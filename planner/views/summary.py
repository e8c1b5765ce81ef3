"""The patient summary: a print-ready page, the same summary as a PDF, and the sessions as
an .ics calendar. All three read the plan exactly as the plan page does; the only write is
one row in the access log (who opened which plan's material, and when)."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from clinic.permissions import require_permission
from planner.access import get_plan_with_catalog
from planner.calendar import calendar_ics
from planner.delivery.selectors import plan_sessions, recorded_sessions
from planner.models import SummaryAccess
from planner.selectors import plan_outlook_for
from planner.summary import PlanSummary, plan_summary_context

PAPER_SIZES = {"letter": "letter", "a4": "A4"}
# Relative links in the PDF template resolve against this; the fetcher reads only the path,
# so the host is never contacted (.invalid is reserved and never resolves).
PDF_BASE_URL = "https://summary.invalid/"


def _summary(request, pk, kind: str) -> PlanSummary:
    plan, catalog = get_plan_with_catalog(request, pk, people=False)
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


@require_GET
@require_permission("planner.view_plan")
def plan_summary(request, pk):
    summary = _summary(request, pk, SummaryAccess.Kind.PAGE)
    return render(
        request,
        "planner/summary.html",
        {
            "summary": summary,
            "plan": summary.plan,
            "treatment_record": plan_sessions(plan=summary.plan),
        },
    )


def _static_only_fetcher():
    """A WeasyPrint URL fetcher that reads files found by the staticfiles finders and
    refuses everything else, so rendering a PDF never touches the network."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_prefix = urlsplit(settings.STATIC_URL).path

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = urlsplit(url).path
            if not path.startswith(static_prefix):
                raise ValueError(f"Only static files are loaded into the PDF, not {url}")
            try:
                found = finders.find(unquote(path.removeprefix(static_prefix)))
            except SuspiciousFileOperation:
                found = None
            if not found:
                raise ValueError(f"No static file at {url}")
            file = Path(found)
            mime = "text/css" if file.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(
                file.as_uri(), file.read_bytes(), headers={"Content-Type": mime}
            )

    return StaticOnlyFetcher()


@require_GET
@require_permission("planner.view_plan")
def plan_summary_pdf(request, pk):
    # Imported here: WeasyPrint loads Pango and fonts, which only this view needs.
    from weasyprint import HTML

    summary = _summary(request, pk, SummaryAccess.Kind.PDF)
    paper = request.GET.get("paper", "").lower()
    if paper not in PAPER_SIZES:
        paper = summary.paper_default
    html = render_to_string(
        "planner/summary_pdf.html",
        {
            "summary": summary,
            "page_size": PAPER_SIZES[paper],
            "treatment_record": plan_sessions(plan=summary.plan),
        },
    )
    # Tagged (PDF/UA-1): a screen reader can follow headings, lists and tables.
    pdf = HTML(
        string=html,
        base_url=PDF_BASE_URL,
        url_fetcher=_static_only_fetcher(),
    ).write_pdf(pdf_variant="pdf/ua-1")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, _filename(summary, "summary", "pdf")
    )
    return response


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
