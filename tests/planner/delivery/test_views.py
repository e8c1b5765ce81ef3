"""The session, lot and recall pages: access per role, the flows, the CSV and letters, query
counts that do not grow with the number of sessions or uses of a lot."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from clinic.models import LotStatus
from planner.delivery import actions as delivery
from planner.delivery import selectors
from planner.delivery.models import RecallContact, SessionStatus, TreatmentSession
from planner.delivery.selectors import course_state
from planner.models import PlanStatus
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory
from tests.helpers import two_users_one_stale
from tests.security.conftest import logged_in

pytestmark = pytest.mark.django_db


def records(plan):
    return list(TreatmentSession.objects.filter(plan=plan).order_by("number"))


def state(plan):
    return course_state(TreatmentSession.objects.filter(plan=plan))


def test_plan_page_lists_sessions_without_start_or_complete_buttons(
    clinician_client, accepted_plan
):
    html = clinician_client.get(reverse("plan-detail", args=[accepted_plan.pk])).content.decode()

    assert 'id="sessions-h"' in html
    assert "Start treatment" not in html and "Mark completed" not in html
    assert html.count('class="session-planned"') == 3


def test_clinician_performs_a_session_on_the_plan_page(
    clinician_client, clinician, accepted_plan, lot, today
):
    first = records(accepted_plan)[0]
    url = reverse("session-perform", args=[first.pk])
    assert clinician_client.get(url).status_code == 200

    response = clinician_client.post(
        url,
        {
            "state": state(accepted_plan),
            "performed_on": today.isoformat(),
            "performer": clinician.pk,
            "lot": lot.pk,
            "notes": "Went well",
        },
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.lot_used, first.performed_by) == ("performed", lot, clinician)
    accepted_plan.refresh_from_db()
    assert accepted_plan.status == PlanStatus.IN_PROGRESS


def test_front_desk_may_not_perform_but_may_reschedule_and_close(desk_client, accepted_plan):
    first, second, third = records(accepted_plan)
    assert desk_client.get(reverse("session-perform", args=[first.pk])).status_code == 403
    assert desk_client.get(reverse("session-reschedule", args=[first.pk])).status_code == 200

    response = desk_client.post(
        reverse("session-close", args=[first.pk]),  # planned today: its day has come
        {"state": state(accepted_plan), "status": "no_show"},
    )

    assert response.status_code == 302
    assert TreatmentSession.objects.get(pk=first.pk).status == SessionStatus.NO_SHOW


def test_no_show_is_offered_only_for_a_session_whose_day_has_come(desk_client, accepted_plan):
    first, second, _ = records(accepted_plan)  # today, a month ahead
    html = desk_client.get(accepted_plan.get_absolute_url()).content.decode()

    def row(session):
        return html.split(f'id="session-{session.pk}"')[1].split("</tr>")[0]

    assert ">No-show</button>" in row(first)
    assert ">No-show</button>" not in row(second)
    assert ">Cancel session</button>" in row(second)

    response = desk_client.post(
        reverse("session-close", args=[second.pk]),
        {"state": state(accepted_plan), "status": "no_show"},
        follow=True,
    )
    assert "a patient can only miss it on or after that day" in response.content.decode()
    assert TreatmentSession.objects.get(pk=second.pk).status == SessionStatus.PLANNED


def test_reschedule_shows_what_moves_before_saving(desk_client, accepted_plan):
    _, second, third = records(accepted_plan)
    url = reverse("session-reschedule", args=[second.pk])
    new_date = second.planned_date + timedelta(days=6)
    data = {"state": state(accepted_plan), "new_date": new_date.isoformat()}

    preview = desk_client.post(url, data)

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "What moves" in html and "Session 3" in html
    assert TreatmentSession.objects.get(pk=third.pk).planned_date == third.planned_date

    response = desk_client.post(url, {**data, "confirm": "on"})

    assert response.status_code == 302
    assert TreatmentSession.objects.get(pk=third.pk).planned_date != third.planned_date


def test_a_stale_reschedule_page_is_refused(desk_client, clinician, accepted_plan):

    _, second, _ = records(accepted_plan)
    url = reverse("session-reschedule", args=[second.pk])

    response = two_users_one_stale(
        read=lambda: state(accepted_plan),
        other_write=lambda: delivery.session_reschedule(
            session=second,
            new_date=second.planned_date + timedelta(days=1),
            user=clinician,
            expected_state=state(accepted_plan),
        ),
        stale_write=lambda seen: desk_client.post(
            url,
            {
                "state": seen,
                "new_date": (second.planned_date + timedelta(days=9)).isoformat(),
                "confirm": "on",
            },
        ),
        state=lambda: [(s.planned_date, s.version) for s in records(accepted_plan)],
    )
    assert escape(delivery.STALE_SESSIONS) in response.content.decode()


def test_a_warm_lot_is_refused_on_the_page_with_the_reason(
    clinician_client, clinician, accepted_plan, lot, today
):
    from tests.factories.clinic import StorageCheckFactory

    StorageCheckFactory(lot=lot, checked_on=today, temperature_celsius=15)
    first = records(accepted_plan)[0]

    response = clinician_client.post(
        reverse("session-perform", args=[first.pk]),
        {
            "state": state(accepted_plan),
            "performed_on": today.isoformat(),
            "performer": clinician.pk,
            "lot": lot.pk,
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "stored at 15" in html
    assert TreatmentSession.objects.get(pk=first.pk).status == SessionStatus.PLANNED


def test_adverse_event_by_clinician_only(desk_client, clinician, accepted_plan, lot, today):
    clinician_client = logged_in(clinician)

    first = records(accepted_plan)[0]
    delivery.session_perform(
        session=first,
        performed_on=today,
        performer=clinician,
        lot=lot,
        user=clinician,
        expected_state=state(accepted_plan),
    )
    url = reverse("session-adverse-event", args=[first.pk])
    assert desk_client.get(url).status_code == 403

    response = clinician_client.post(
        url,
        {
            "state": state(accepted_plan),
            "noticed_on": today.isoformat(),
            "description": "Redness for two days",
            "severity": "mild",
            "action_taken": "Cold compress",
            "reported_to_medwatch": "on",
            "medwatch_reference": "MW-123",
        },
    )

    assert response.status_code == 302
    event = first.adverse_events.get()
    assert (event.medwatch_reference, event.recorded_by) == ("MW-123", clinician)
    html = clinician_client.get(reverse("plan-detail", args=[accepted_plan.pk])).content.decode()
    assert "reported to MedWatch (MW-123)" in html


def test_day_list_shows_todays_sessions(desk_client, accepted_plan, today):
    html = desk_client.get(reverse("session-day")).content.decode()

    assert accepted_plan.patient.full_name in html
    assert "1 of 3" in html


# The lot page and recall ------------------------------------------------------------------------


def perform_first(plan, clinician, lot, today):

    delivery.session_perform(
        session=records(plan)[0],
        performed_on=today,
        performer=clinician,
        lot=lot,
        user=clinician,
        expected_state=state(plan),
    )


@pytest.mark.parametrize(
    ("who", "status"), [("front_desk", 403), ("clinician", 200), ("clinic_admin", 200)]
)
def test_lot_page_access(request, accepted_plan, lot, who, status):
    client = logged_in(request.getfixturevalue(who))

    assert client.get(reverse("lot-detail", args=[lot.pk])).status_code == status
    assert client.get(reverse("lot-list")).status_code == status


def test_lot_page_unknown_id_is_404(admin_client_clinic):
    assert admin_client_clinic.get(reverse("lot-detail", args=[999999])).status_code == 404


def test_recall_a_lot_and_find_the_patient(
    admin_client_clinic, clinician, accepted_plan, lot, today
):
    perform_first(accepted_plan, clinician, lot, today)
    patient = accepted_plan.patient

    response = admin_client_clinic.post(
        reverse("lot-status", args=[lot.pk]),
        {"version": lot.version, "to_status": "recalled", "reason": "Manufacturer recall notice"},
    )

    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == LotStatus.RECALLED
    html = admin_client_clinic.get(reverse("lot-detail", args=[lot.pk])).content.decode()
    assert patient.full_name in html and patient.phone in html
    assert "Manufacturer recall notice" in html
    # Sessions 2 and 3 still plan this lot: a blocking warning on the plan.
    plan_html = admin_client_clinic.get(
        reverse("plan-detail", args=[accepted_plan.pk])
    ).content.decode()
    assert "which is recalled: it cannot be used" in plan_html


def test_clinician_may_not_recall(clinician, accepted_plan, lot):
    client = logged_in(clinician)

    client.post(
        reverse("lot-status", args=[lot.pk]),
        {"version": lot.version, "to_status": "recalled", "reason": "x"},
    )

    lot.refresh_from_db()
    assert lot.status == LotStatus.RELEASED


def test_two_users_one_stale_lot_status(admin_client_clinic, clinician, lot):
    from clinic.lots import actions as lot_actions

    response = two_users_one_stale(
        read=lambda: lot.version,
        other_write=lambda: lot_actions.lot_change_status(
            lot=lot,
            to_status=LotStatus.QUARANTINED,
            reason="Probe check",
            user=clinician,
            expected_version=lot.version,
        ),
        stale_write=lambda seen: admin_client_clinic.post(
            reverse("lot-status", args=[lot.pk]),
            {"version": seen, "to_status": "discarded", "reason": "Old"},
            follow=True,
        ),
        state=lambda: type(lot).objects.values_list("status", "version").get(pk=lot.pk),
    )
    assert "Someone else changed this lot" in response.content.decode()


def test_recall_csv_neutralises_formulas(admin_client_clinic, clinician, accepted_plan, lot, today):
    patient = accepted_plan.patient
    patient.full_name = '=HYPERLINK("http://evil")'
    patient.phone = "+1 202 555 0100"
    patient.email = "@evil.example"
    patient.save()
    perform_first(accepted_plan, clinician, lot, today)

    response = admin_client_clinic.get(reverse("lot-recall-csv", args=[lot.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "patient"
    assert rows[1][:4] == [
        '\'=HYPERLINK("http://evil")',
        rows[1][1],
        "'+1 202 555 0100",
        "'@evil.example",
    ]
    assert rows[1][4] == today.isoformat()


def recall(lot, user):
    from clinic.lots import actions as lot_actions

    lot_actions.lot_change_status(
        lot=lot,
        to_status=LotStatus.RECALLED,
        reason="Manufacturer recall",
        user=user,
        expected_version=lot.version,
    )


def test_recall_letter_html_and_pdf(
    admin_client_clinic, clinic_admin, clinician, accepted_plan, lot, today
):
    perform_first(accepted_plan, clinician, lot, today)
    recall(lot, clinic_admin)
    patient = accepted_plan.patient

    html = admin_client_clinic.get(
        reverse("lot-recall-letter", args=[lot.pk, patient.pk])
    ).content.decode()
    pdf = admin_client_clinic.get(reverse("lot-recall-letter-pdf", args=[lot.pk, patient.pk]))

    assert f"About lot {lot.lot_number}" in html
    assert "MedWatch" in html
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_no_recall_letter_for_a_lot_that_is_not_recalled(
    admin_client_clinic, clinician, accepted_plan, lot, today
):
    """The letter tells the patient the lot "has been recalled": for a lot in use it would
    say what is not so. The lot page lists who the lot reached but offers no letter."""
    perform_first(accepted_plan, clinician, lot, today)
    patient = accepted_plan.patient
    assert lot.status != LotStatus.RECALLED

    page = admin_client_clinic.get(reverse("lot-detail", args=[lot.pk])).content.decode()
    assert patient.full_name in page
    assert reverse("lot-recall-letter", args=[lot.pk, patient.pk]) not in page
    for name in ("lot-recall-letter", "lot-recall-letter-pdf"):
        assert admin_client_clinic.get(reverse(name, args=[lot.pk, patient.pk])).status_code == 404


def test_letter_for_a_patient_the_lot_never_reached_is_404(admin_client_clinic, lot):
    other = PatientFactory()
    url = reverse("lot-recall-letter", args=[lot.pk, other.pk])
    assert admin_client_clinic.get(url).status_code == 404


def test_contacted_tick_and_a_second_tick_refused(
    admin_client_clinic, clinic_admin, clinician, accepted_plan, lot, today
):

    perform_first(accepted_plan, clinician, lot, today)
    patient = accepted_plan.patient
    url = reverse("lot-recall-contacted", args=[lot.pk, patient.pk])

    result = two_users_one_stale(
        read=lambda: None,
        other_write=lambda: delivery.recall_contact_tick(lot=lot, patient=patient, user=clinician),
        stale_write=lambda _: admin_client_clinic.post(url, follow=True),
        state=lambda: list(RecallContact.objects.values_list("patient", "contacted_by")),
    )
    assert "was already marked contacted" in result.content.decode()


def test_patient_page_lists_the_lots_received(
    clinician_client, clinician, accepted_plan, lot, today
):
    perform_first(accepted_plan, clinician, lot, today)

    html = clinician_client.get(
        reverse("patient-detail", args=[accepted_plan.patient_id])
    ).content.decode()

    assert "Lots received" in html and lot.lot_number in html


# Query counts --------------------------------------------------------------------------------


def _plan_with_sessions(catalog, courses: int, sessions: int):
    from clinic.catalog_seed import MICRONEEDLING

    plan = PlanFactory(status=PlanStatus.ACCEPTED)
    for position in range(courses):
        course = CourseFactory(
            plan=plan, position=position, treatment=catalog[MICRONEEDLING], sessions=sessions
        )
        for number in range(1, sessions + 1):
            TreatmentSession.objects.create(
                plan=plan,
                course=course,
                number=number,
                planned_date=course.first_session + timedelta(days=30 * number + position),
            )
    return plan


# The plan page with its sessions and signing sections (13: the 10 of an accepted plan with
# its signing overview and its kept results panel, +2 for the session records), and the lot
# page, as they cost today
# (the lot page: the lot, its readings, the counts, a screen of each list, the patients' with
# their contact ticks joined in, the sessions' courses, and the status log).
PLAN_PAGE_QUERY_BOUND = 13
LOT_PAGE_QUERY_BOUND = 12


def test_plan_page_queries_do_not_grow_with_sessions(
    clinician_client, catalog, django_assert_max_num_queries, django_assert_num_queries
):
    small = _plan_with_sessions(catalog, 1, 1)
    big = _plan_with_sessions(catalog, 5, 10)
    assert TreatmentSession.objects.filter(plan=big).count() == 50
    # Warm the session, and each plan's rendered results panel (planner.fragments).
    for plan in (small, big):
        clinician_client.get(reverse("plan-detail", args=[plan.pk]))

    with django_assert_max_num_queries(PLAN_PAGE_QUERY_BOUND) as one:
        clinician_client.get(reverse("plan-detail", args=[small.pk]))
    with django_assert_num_queries(len(one)):
        clinician_client.get(reverse("plan-detail", args=[big.pk]))


def test_lot_page_queries_do_not_grow_with_uses(
    admin_client_clinic,
    clinician,
    catalog,
    lot,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    from clinic.catalog_seed import MICRONEEDLING

    def use(count):
        for _ in range(count // 10 or 1):
            plan = PlanFactory(status=PlanStatus.IN_PROGRESS)
            course = CourseFactory(
                plan=plan, treatment=catalog[MICRONEEDLING], sessions=10, product=lot.product
            )
            TreatmentSession.objects.bulk_create(
                TreatmentSession(
                    plan=plan,
                    course=course,
                    number=n,
                    planned_date=course.first_session,
                    status="performed",
                    performed_on=course.first_session,
                    performed_by=clinician,
                    needs_lot=True,
                    lot_used=lot,
                )
                for n in range(1, min(count, 10) + 1)
            )
            # Written straight to the table: what the actions would count, counted.
            delivery.lot_reach_refresh(patient_ids=[plan.patient_id])

    use(1)
    url = reverse("lot-detail", args=[lot.pk])
    admin_client_clinic.get(url)
    with django_assert_max_num_queries(LOT_PAGE_QUERY_BOUND) as one:
        admin_client_clinic.get(url)
    use(500)
    assert TreatmentSession.objects.filter(lot_used=lot).count() == 501
    with django_assert_num_queries(len(one)):
        response = admin_client_clinic.get(url)
    assert response.status_code == 200


def test_a_lot_that_reached_many_patients_is_paged(admin_client_clinic, clinician, catalog, lot):
    """A clinic chain's lot reaches thousands: the page shows a screen of each list at a time
    (it took 12 s for 4,000 uses on the bench's large database) and says how many in all."""
    from clinic.catalog_seed import MICRONEEDLING

    per_page = selectors.RECALL_PAGE_SIZE
    for index in range(per_page + 5):
        patient = PatientFactory(full_name=f"Recall Patient {index:03d}")
        plan = PlanFactory(patient=patient, status=PlanStatus.IN_PROGRESS)
        course = CourseFactory(
            plan=plan, treatment=catalog[MICRONEEDLING], sessions=2, product=lot.product
        )
        TreatmentSession.objects.create(
            plan=plan,
            course=course,
            number=1,
            planned_date=course.first_session,
            status="performed",
            performed_on=course.first_session,
            performed_by=clinician,
            needs_lot=True,
            lot_used=lot,
        )
        TreatmentSession.objects.create(
            plan=plan, course=course, number=2, planned_date=course.first_session, planned_lot=lot
        )
        delivery.lot_reach_refresh(patient_ids=[patient.pk])  # as the actions would
    url = reverse("lot-detail", args=[lot.pk])

    first = admin_client_clinic.get(url).content.decode()
    second = admin_client_clinic.get(url + "?patients=2").content.decode()

    total = per_page + 5
    assert f"Patients this lot reached or is planned for ({total})" in first
    assert f"Sessions performed with this lot ({total})" in first
    assert f"Planned sessions naming this lot ({total})" in first
    assert "Recall Patient 000" in first and f"Recall Patient {total - 1:03d}" not in first
    assert "?patients=2" in first and "?performed=2" in first and "?planned=2" in first
    # Page 2 of the patients: the rest of them, in name order.
    assert f"Recall Patient {total - 1:03d}" in second.split('id="performed-h"')[0]
    assert "Recall Patient 000" not in second.split('id="performed-h"')[0]


def test_clinician_records_a_storage_reading_on_the_lot_page(clinician, lot, today):
    client = logged_in(clinician)
    url = reverse("lot-storage-reading", args=[lot.pk])

    response = client.post(
        url, {"version": lot.version, "checked_on": today.isoformat(), "temperature_celsius": "9.5"}
    )

    assert response.status_code == 302
    reading = lot.storage_checks.get()
    assert (reading.temperature_celsius, reading.checked_by) == (Decimal("9.5"), clinician)
    html = client.get(reverse("lot-detail", args=[lot.pk])).content.decode()
    assert "was stored at 9.5" in html  # the point-of-use check, as of today


@pytest.mark.parametrize("celsius", ["500", "-300"])
def test_an_impossible_storage_reading_is_refused_with_its_reason(clinician, lot, today, celsius):
    """A typo such as 500 for 5.0 passes the number field; the lot page says what is wrong
    and records nothing (it was a server error)."""
    from clinic.bounds import READING_HIGH, READING_LOW, READING_OUT_OF_RANGE

    client = logged_in(clinician)
    response = client.post(
        reverse("lot-storage-reading", args=[lot.pk]),
        {"version": lot.version, "checked_on": today.isoformat(), "temperature_celsius": celsius},
        follow=True,
    )

    assert response.status_code == 200
    message = READING_OUT_OF_RANGE.format(low=READING_LOW, high=READING_HIGH)
    assert escape(message) in response.content.decode()
    assert not lot.storage_checks.exists()


def test_front_desk_records_no_storage_reading(desk_client, lot, today):
    response = desk_client.post(
        reverse("lot-storage-reading", args=[lot.pk]),
        {"version": lot.version, "checked_on": today.isoformat(), "temperature_celsius": "4"},
    )
    assert response.status_code == 403


def test_two_users_one_stale_storage_reading(clinician, admin_client_clinic, lot, today):
    from clinic.lots import actions as lot_actions

    response = two_users_one_stale(
        read=lambda: lot.version,
        other_write=lambda: lot_actions.lot_change_status(
            lot=lot,
            to_status=LotStatus.QUARANTINED,
            reason="Probe check",
            user=clinician,
            expected_version=lot.version,
        ),
        stale_write=lambda seen: admin_client_clinic.post(
            reverse("lot-storage-reading", args=[lot.pk]),
            {"version": seen, "checked_on": today.isoformat(), "temperature_celsius": "4"},
            follow=True,
        ),
        state=lambda: (lot.storage_checks.count(), type(lot).objects.get(pk=lot.pk).version),
    )
    assert "Someone else changed this lot" in response.content.decode()


def test_day_list_offers_the_session_actions(desk_client, accepted_plan, today):
    first = records(accepted_plan)[0]

    html = desk_client.get(reverse("session-day")).content.decode()
    assert reverse("session-reschedule", args=[first.pk]) in html
    assert reverse("session-perform", args=[first.pk]) not in html  # front desk does not perform

    response = desk_client.post(
        reverse("session-close", args=[first.pk]),
        {"state": state(accepted_plan), "status": "no_show", "next": "day"},
    )
    assert response.url == f"{reverse('session-day')}?date={first.planned_date.isoformat()}"
    assert TreatmentSession.objects.get(pk=first.pk).status == SessionStatus.NO_SHOW


def test_reschedule_sets_a_time_of_day_shown_on_the_plan(desk_client, accepted_plan):
    from datetime import time

    second = records(accepted_plan)[1]
    url = reverse("session-reschedule", args=[second.pk])

    response = desk_client.post(
        url,
        {
            "state": state(accepted_plan),
            "new_date": second.planned_date.isoformat(),
            "new_time": "14:30",
            "confirm": "on",
        },
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.planned_time, second.sequence) == (time(14, 30), 1)
    html = desk_client.get(reverse("plan-detail", args=[accepted_plan.pk])).content.decode()
    assert "14:30" in html


def test_a_patients_lots_are_read_through_their_plans(patient):
    """Regression: the patient page walked every performed session of the clinic (SQLite
    chose the reports' (status, day) index): 365 ms at 100,000 plans."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query planner, without statistics")
    plan = selectors.patient_lots_query(patient=patient).explain()
    assert "session_performed_idx" not in plan
    assert "planner_plan_patient_id" in plan
