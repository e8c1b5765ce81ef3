from django.http import HttpResponse
from django.shortcuts import render
from django.urls import resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clinic.middleware import renew_session
from clinic.models import EvidenceNote
from clinic.permissions import require_permission
from clinic.selectors import catalog_entries

# Staff's home is the planner's day board, found by URL name: clinic never imports planner.
STAFF_HOME = "day-board"


@require_GET
def home(request):
    # Open to anyone signed in. Staff see their day board right here (its own view, with its
    # own permission check, so "/" and the board's address are one page); without a role
    # the page says whom to ask for one.
    if request.user.has_perm("planner.view_plan"):
        return resolve(reverse(STAFF_HOME)).func(request)
    return render(request, "clinic/home.html")


@require_GET
@require_permission("clinic.view_treatmenttype", "clinic.view_pricerange")
def catalog(request):
    today = timezone.localdate()
    return render(
        request,
        "clinic/catalog.html",
        {
            "entries": catalog_entries(on=today),
            "today": today,
            "evidence_notes": EvidenceNote.objects.filter(active=True),
        },
    )


@require_POST
def session_renew(request):
    """ "Stay signed in" on the idle warning: the session's idle deadline starts again now.
    Signed-in users only (the global login rule); the new time left comes back as a header."""
    renew_session(request)
    return HttpResponse(status=204)
