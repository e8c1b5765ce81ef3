"""One downtime figure reads the same on every surface: the catalog page, the plan page and
its editor (results panel), the patient summary page, its PDF and the calendar file. They
all go through clinic.formatting.format_hours_range."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from icalendar import Calendar
from pypdf import PdfReader

from clinic.formatting import format_hours_range
from clinic.models import TreatmentType
from tests.factories.clinic import TreatmentTypeFactory
from tests.factories.planner import CourseFactory, PlanFactory

SEEDED_MICRONEEDLING = "microneedling-topical-exosome"


def _html(client, name, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def _pdf_text(client, plan) -> str:
    response = client.get(reverse("plan-summary-pdf", args=[plan.pk]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _ics_descriptions(client, plan) -> str:
    response = client.get(reverse("plan-calendar", args=[plan.pk]))
    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    return "\n".join(str(event["DESCRIPTION"]) for event in events)


def _treatment(which: str) -> TreatmentType:
    if which == "seeded":
        call_command("load_catalog", stdout=io.StringIO())
        return TreatmentType.objects.get(slug=SEEDED_MICRONEEDLING)
    return TreatmentTypeFactory(
        name="Deep microneedling + topical exosome",
        downtime_min_hours=48,
        downtime_max_hours=96,
    )


@pytest.mark.parametrize(
    ("which", "expected", "never"),
    [
        ("seeded", "24–48 hours", "1–2 days"),
        ("two-to-four-days", "2–4 days", "48–96 hours"),
    ],
)
def test_downtime_reads_the_same_on_every_surface(desk_client, which, expected, never):
    treatment = _treatment(which)
    assert (
        format_hours_range(treatment.downtime_min_hours, treatment.downtime_max_hours) == expected
    )
    # One session, so the plan's downtime in total is the treatment's own figure.
    plan = PlanFactory()
    CourseFactory(
        plan=plan,
        position=0,
        treatment=treatment,
        sessions=1,
        first_session=date(2027, 4, 8),
    )

    surfaces = {
        "catalog": _html(desk_client, "catalog"),
        "plan page": _html(desk_client, "plan-detail", plan.pk),
        "plan editor": _html(desk_client, "plan-edit", plan.pk),
        "summary": _html(desk_client, "plan-summary", plan.pk),
        "summary PDF": _pdf_text(desk_client, plan),
        "calendar": _ics_descriptions(desk_client, plan),
    }

    missing = [name for name, text in surfaces.items() if expected not in text]
    assert missing == []
    other_spelling = [name for name, text in surfaces.items() if never in text]
    assert other_spelling == []


def test_undocumented_downtime_is_never_totalled_as_zero(desk_client):
    """No source documents the downtime after an exosome injection: a plan of such sessions
    only has "not documented" in total, never "0 hours" as if it were a figure."""
    call_command("load_catalog", stdout=io.StringIO())
    plan = PlanFactory()
    CourseFactory(
        plan=plan,
        position=0,
        treatment=TreatmentType.objects.get(slug="injectable-msc-exosome"),
        sessions=3,
        interval_count=4,
        interval_unit="weeks",
        first_session=date(2027, 4, 8),
    )
    other = PlanFactory(patient=plan.patient)
    CourseFactory(
        plan=other,
        position=0,
        treatment=TreatmentType.objects.get(slug=SEEDED_MICRONEEDLING),
        sessions=1,
        first_session=date(2027, 4, 8),
    )

    surfaces = {
        "plan page": _html(desk_client, "plan-detail", plan.pk),
        "plan editor": _html(desk_client, "plan-edit", plan.pk),
        "compare": _html(desk_client, "plan-compare", plan.pk, other.pk),
        "summary": _html(desk_client, "plan-summary", plan.pk),
    }

    assert [name for name, text in surfaces.items() if "0 hours" in text] == []
    for name in ("plan page", "plan editor", "compare"):
        assert "not documented for any of the 3 sessions" in surfaces[name], name
