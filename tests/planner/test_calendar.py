"""The plan's sessions as an .ics file: one all-day event per session, importable, stable
UIDs, downtime and aftercare in the description, and never a price."""

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from planner.calendar import PRODID, calendar_ics
from planner.selectors import plan_outlook_for
from planner.summary import plan_summary_context
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory


@pytest.fixture
def plan(catalog):
    plan = PlanFactory(
        patient=PatientFactory(full_name="Ann Lee"),
        title="Skin quality plan",
        investigational_reference="IND 031245",
        patient_acknowledged_investigational=True,
    )
    CourseFactory(
        plan=plan,
        position=0,
        treatment=catalog[MICRONEEDLING],
        sessions=3,
        interval_count=1,
        interval_unit="months",
        first_session=date(2027, 1, 31),
    )
    CourseFactory(
        plan=plan,
        position=1,
        treatment=catalog[INJECTABLE],
        sessions=2,
        interval_count=4,
        interval_unit="weeks",
        first_session=date(2027, 5, 3),
    )
    return plan


def get_ics(client, plan):
    response = client.get(reverse("plan-calendar", args=[plan.pk]))
    assert response.status_code == 200
    return response


def events_of(content: bytes):
    return Calendar.from_ical(content).walk("VEVENT")


def test_calendar_is_served_as_an_ics_attachment(desk_client, plan):
    response = get_ics(desk_client, plan)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="sessions-ann-lee-plan-{plan.pk}-{today}.ics"'
    )


def test_calendar_parses_and_names_itself(desk_client, plan):
    calendar = Calendar.from_ical(get_ics(desk_client, plan).content)

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == PRODID


def test_one_all_day_event_per_session_on_the_right_dates(desk_client, plan):
    events = events_of(get_ics(desk_client, plan).content)

    # Monthly from 31 Jan keeps the day of the month where it exists (clamped in February).
    expected = [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 5, 3),
        date(2027, 5, 31),
    ]
    starts = [event.decoded("DTSTART") for event in events]
    assert starts == expected
    assert all(type(start) is date for start in starts)  # DATE, not DATE-TIME
    assert [event.decoded("DTEND") for event in events] == [
        date.fromordinal(day.toordinal() + 1) for day in expected
    ]


def test_events_name_the_treatment_and_session_number(desk_client, plan):
    summaries = [str(e["SUMMARY"]) for e in events_of(get_ics(desk_client, plan).content)]

    assert summaries == [
        "Microneedling + topical exosome – session 1 of 3",
        "Microneedling + topical exosome – session 2 of 3",
        "Microneedling + topical exosome – session 3 of 3",
        "Injectable MSC exosome (investigational) – session 1 of 2",
        "Injectable MSC exosome (investigational) – session 2 of 2",
    ]


def test_descriptions_give_downtime_and_aftercare(desk_client, plan):
    events = events_of(get_ics(desk_client, plan).content)
    first, injectable = str(events[0]["DESCRIPTION"]), str(events[3]["DESCRIPTION"])

    assert "Downtime until 1–2 Feb 2027 (typical downtime 24–48 hours)." in first
    assert "Aftercare:" in first
    assert "keep the downtime days after each session free" in first
    # The file stands alone: nothing points to "this summary" or to dates it does not hold.
    assert "summary" not in first.lower() and "schedule" not in first.lower()
    assert "Follow the skin-care instructions your clinician gives you" in first
    assert "Expected downtime: not documented" in injectable
    assert "Follow the visit and reporting schedule of the trial" in injectable


def test_an_investigational_session_promises_no_developing_results(desk_client, plan):
    """Whether and when an investigational treatment's results appear is what the trial
    studies: its events leave out the general line that results keep developing, which the
    plan's other sessions keep."""
    events = events_of(get_ics(desk_client, plan).content)
    microneedling, injectable = str(events[0]["DESCRIPTION"]), str(events[3]["DESCRIPTION"])

    assert "Results keep developing for weeks after each session" in microneedling
    assert "results keep developing" not in injectable.lower()
    assert "Contact the clinic if redness" in injectable  # the rest of the general advice


def test_uids_are_unique_and_stable_across_downloads(desk_client, plan):
    first = [str(e["UID"]) for e in events_of(get_ics(desk_client, plan).content)]
    again = [str(e["UID"]) for e in events_of(get_ics(desk_client, plan).content)]

    assert len(set(first)) == len(first) == 5
    assert first == again
    # Named after the clinic, never after the host the app was opened at.
    assert first[0] == f"plan-{plan.pk}-course-0-session-1@your-clinic.exosome-planner"
    assert first[3] == f"plan-{plan.pk}-course-1-session-1@your-clinic.exosome-planner"
    assert not any("testserver" in uid for uid in first)


def test_every_event_has_a_utc_timestamp(desk_client, plan):
    for event in events_of(get_ics(desk_client, plan).content):
        stamp = event.decoded("DTSTAMP")
        assert stamp.tzinfo is not None
        assert stamp.utcoffset().total_seconds() == 0


def test_no_price_anywhere_in_the_file(desk_client, plan):
    content = get_ics(desk_client, plan).content.decode()
    # Folded lines are joined first so a figure split across lines is still found.
    unfolded = re.sub(r"\r\n[ \t]", "", content)

    assert "USD" not in unfolded
    assert "$" not in unfolded
    for figure in ("600", "1,500", "2,000", "4,000", "3,000", "6,000"):
        # As a figure of its own: a DTSTAMP made at 06:00:05 reads "T060005Z".
        assert not re.search(rf"(?<![\d,]){re.escape(figure)}(?![\d,])", unfolded), figure


def test_calendar_does_not_carry_the_patient_name(desk_client, plan):
    assert b"Ann Lee" not in get_ics(desk_client, plan).content


def test_markup_and_line_breaks_in_names_stay_text(desk_client, catalog):
    plan = PlanFactory(
        patient=PatientFactory(full_name="<b>Ann</b>"),
        title="<b>Glow</b>\r\nEND:VCALENDAR\r\nBEGIN:VEVENT",
    )
    CourseFactory(plan=plan, treatment=catalog[MICRONEEDLING], sessions=2)

    content = get_ics(desk_client, plan).content
    calendar = Calendar.from_ical(content)

    assert len(calendar.walk("VEVENT")) == 2
    assert str(calendar["X-WR-CALNAME"]).startswith("<b>Glow</b> END:VCALENDAR BEGIN:VEVENT –")
    assert content.count(b"\r\nBEGIN:VEVENT\r\n") == 2


def test_clinic_address_is_the_location_when_set(settings, desk_client, plan):
    settings.CLINIC_ADDRESS = "120 Harbor Street, Boston"

    events = events_of(get_ics(desk_client, plan).content)

    assert {str(e["LOCATION"]) for e in events} == {"120 Harbor Street, Boston"}


def test_calendar_builder_stamps_in_utc_whatever_the_local_zone(rf, front_desk, plan):
    today = date(2026, 11, 23)
    summary = plan_summary_context(
        plan=plan,
        prepared_by=front_desk,
        today=today,
        outlook=plan_outlook_for(plan=plan, today=today),
    )
    local = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.get_fixed_timezone(-300))

    content = calendar_ics(summary, now=local)

    assert b"DTSTAMP:20261123T143000Z" in content
    assert datetime(2026, 11, 23, 14, 30, tzinfo=UTC) == events_of(content)[0].decoded("DTSTAMP")
