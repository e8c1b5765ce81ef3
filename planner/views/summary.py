from django.http import HttpResponse
from django.views.decorators.http import require_GET

from planner.access import get_plan_for_user


def _todo(request, pk):
    get_plan_for_user(request, pk)
    return HttpResponse("Coming soon")


plan_summary = require_GET(_todo)
plan_summary_pdf = require_GET(_todo)
plan_calendar = require_GET(_todo)
