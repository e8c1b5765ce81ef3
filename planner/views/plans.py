from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.roles import require_role


def _todo(request, *args, **kwargs):
    require_role(request)
    return HttpResponse("Coming soon")


plan_list = require_GET(_todo)
plan_create = require_http_methods(["GET", "POST"])(_todo)
plan_detail = require_GET(_todo)
plan_edit = require_http_methods(["GET", "POST"])(_todo)
plan_transition = require_POST(_todo)
plan_record_investigational = require_POST(_todo)
plan_duplicate = require_POST(_todo)
plan_compare = require_GET(_todo)
