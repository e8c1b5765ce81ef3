from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from clinic.roles import require_role


def _todo(request, *args, **kwargs):
    require_role(request)
    return HttpResponse("Coming soon")


patient_list = require_GET(_todo)
patient_create = require_http_methods(["GET", "POST"])(_todo)
patient_detail = require_GET(_todo)
patient_edit = require_http_methods(["GET", "POST"])(_todo)
