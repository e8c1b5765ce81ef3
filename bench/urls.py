"""The project's URLs plus the floor view: the cheapest page a logged-in user can get through
the full middleware stack (session, login, CSP...) — a small template and one query. Every
other figure is reported as a multiple of it."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.http import require_GET

from clinic.models import TreatmentType

FLOOR_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang='en'><head><title>Floor</title></head><body>"
    "<p>{{ request.user.get_username }}: {{ treatments|join:', ' }} (active treatments).</p>"
    "</body></html>"
)


@require_GET
def floor(request):
    treatments = TreatmentType.objects.filter(active=True).values_list("name", flat=True)
    return HttpResponse(FLOOR_TEMPLATE.render({"treatments": treatments}, request))


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("", include("clinic.urls")),
]
