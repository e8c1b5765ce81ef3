"""The clinic's numbers: the reports page and a CSV of each of its tables (clinic admins)."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from clinic.formatting import neutralise
from clinic.permissions import require_permission
from planner.board import report_cache, reports
from planner.board.report_tables import BUILDERS

PERIOD_INVALID = (
    "Choose a period of {choices} months; the figures below are for the last {default} months."
)


def report_day():
    """Today, as the reports count it (the tests move it onto their worked example)."""
    return timezone.localdate()


def _period(request) -> tuple[int, str]:
    """The period (months) asked for, or the default and why it was not used."""
    raw = request.GET.get("months", "")
    if raw == "":
        return reports.DEFAULT_PERIOD, ""
    if raw.isdigit() and int(raw) in reports.PERIODS:
        return int(raw), ""
    choices = ", ".join(str(p) for p in reports.PERIODS[:-1]) + f" or {reports.PERIODS[-1]}"
    return reports.DEFAULT_PERIOD, PERIOD_INVALID.format(
        choices=choices, default=reports.DEFAULT_PERIOD
    )


@require_GET
@require_permission("planner.view_reports")
def report_page(request):
    months, period_error = _period(request)
    today = report_day()
    figures = report_cache.report_figures(today=today, months=months)
    context = {
        "reports": list(figures.reports.values()),
        "as_of": report_cache.as_of(figures),
        "months": months,
        "periods": reports.PERIODS,
        "period_error": period_error,
        "today": today,
    }
    return render(request, "planner/board/reports.html", context)


@require_GET
@require_permission("planner.view_reports")
def report_csv(request, slug):
    if slug not in BUILDERS:
        raise Http404("No such report.")
    months, period_error = _period(request)
    if period_error:
        return HttpResponse(period_error, status=400, content_type="text/plain; charset=utf-8")
    today = report_day()
    report = report_cache.one_report(slug, today=today, months=months)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{slug}-{today.isoformat()}.csv"
    )
    writer = csv.writer(response)
    writer.writerow(report.csv_headers)
    for row in report.csv_rows:
        writer.writerow(neutralise(value) for value in row)
    return response
