from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.models import EvidenceNote
from clinic.permissions import require_permission
from clinic.selectors import catalog_entries


@require_GET
def home(request):
    # Open to anyone signed in: without a role it says whom to ask for one.
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
