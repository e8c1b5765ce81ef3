from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.models import EvidenceNote
from clinic.roles import has_any_role, require_role
from clinic.selectors import catalog_entries


@require_GET
def home(request):
    return render(request, "clinic/home.html", {"has_role": has_any_role(request.user)})


@require_GET
def catalog(request):
    require_role(request)
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
