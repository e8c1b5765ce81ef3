"""Session records: materialised on acceptance, performed with the lot checked on the day,
closed, rescheduled with re-flow; the plan's status follows; every write refuses a stale page."""

from datetime import timedelta

import pytest

from clinic.formatting import format_date
from clinic.lots import actions as lot_actions
from clinic.models import LotStatus
from planner import actions
from planner.delivery import actions as delivery
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.delivery.selectors import course_state
from planner.models import PlanStatus
from planner.scheduling import Interval, nth_session_date
from tests.factories.clinic import ProductLotFactory, StorageCheckFactory
from tests.helpers import two_users_one_stale

pytestmark = pytest.mark.django_db


def state_of(plan):
    return course_state(TreatmentSession.objects.filter(plan=plan))


def perform(session, user, *, on, lot, **extra):
    return delivery.session_perform(
        session=session,
        performed_on=on,
        performer=user,
        lot=lot,
        user=user,
        expected_state=state_of(session.plan),
        **extra,
    )


def sessions(plan):
    return list(TreatmentSession.objects.filter(plan=plan).order_by("number"))


def test_accepting_materialises_one_record_per_planned_session(accepted_plan, lot, today):
    records = sessions(accepted_plan)

    monthly = Interval(1, "months")
    assert [(r.number, r.planned_date, r.planned_lot, r.needs_lot) for r in records] == [
        (n + 1, nth_session_date(today, monthly, n), lot, True) for n in range(3)
    ]
    assert {r.status for r in records} == {SessionStatus.PLANNED}
    assert all(r.history.count() == 1 for r in records)


def test_materialising_twice_creates_nothing_more(accepted_plan, clinician):
    assert delivery.plan_sessions_materialise(plan=accepted_plan, user=clinician) == []
    assert TreatmentSession.objects.filter(plan=accepted_plan).count() == 3


def test_performing_needs_a_clinician(accepted_plan, front_desk, lot, today):
    with pytest.raises(delivery.SessionActionError, match="performed by a clinician"):
        perform(sessions(accepted_plan)[0], front_desk, on=today, lot=lot)


def test_performing_a_product_course_needs_the_lot(accepted_plan, clinician, today):
    with pytest.raises(delivery.SessionActionError, match="name the lot actually used"):
        perform(sessions(accepted_plan)[0], clinician, on=today, lot=None)


def test_first_performance_starts_the_plan_and_the_last_completes_it(
    accepted_plan, clinician, lot, today
):
    first, second, third = sessions(accepted_plan)
    perform(first, clinician, on=today, lot=lot)
    accepted_plan.refresh_from_db()
    assert accepted_plan.status == PlanStatus.IN_PROGRESS

    delivery.session_close(
        session=second,
        status=SessionStatus.CANCELLED,  # a month ahead: not a no-show before its day
        user=clinician,
        expected_state=state_of(accepted_plan),
    )
    delivery.session_close(
        session=third,
        status=SessionStatus.CANCELLED,
        user=clinician,
        expected_state=state_of(accepted_plan),
    )
    accepted_plan.refresh_from_db()
    assert accepted_plan.status == PlanStatus.COMPLETED
    first.refresh_from_db()
    assert (first.status, first.performed_by, first.lot_used) == (
        SessionStatus.PERFORMED,
        clinician,
        lot,
    )


def test_a_warm_reading_refuses_the_performance_until_released_or_overridden(
    accepted_plan, clinician, lot, today
):
    StorageCheckFactory(lot=lot, checked_on=today - timedelta(days=1), temperature_celsius=12)
    first = sessions(accepted_plan)[0]

    with pytest.raises(delivery.LotRefused) as refused:
        perform(first, clinician, on=today, lot=lot)
    assert "stored at 12" in refused.value.problems[0]
    assert TreatmentSession.objects.get(pk=first.pk).status == SessionStatus.PLANNED

    perform(first, clinician, on=today, lot=lot, override_reason="Manufacturer confirmed stable")
    first.refresh_from_db()
    assert first.lot_override_reason == "Manufacturer confirmed stable"
    assert "stored at 12" in first.lot_override_problems


def test_a_release_after_review_clears_the_excursion(accepted_plan, clinician, lot, today):
    StorageCheckFactory(lot=lot, checked_on=today - timedelta(days=1), temperature_celsius=12)
    lot_actions.lot_change_status(
        lot=lot,
        to_status=LotStatus.RELEASED,
        reason="Reading was the door open for a minute; probe log normal",
        user=clinician,
        expected_version=lot.version,
    )

    perform(sessions(accepted_plan)[0], clinician, on=today, lot=lot)


@pytest.mark.parametrize("status", [LotStatus.QUARANTINED, LotStatus.RECALLED])
def test_a_quarantined_or_recalled_lot_is_refused(accepted_plan, clinician, lot, today, status):
    lot.status = status
    lot.save()

    with pytest.raises(delivery.LotRefused, match="not been released"):
        perform(sessions(accepted_plan)[0], clinician, on=today, lot=lot)


def test_an_expired_lot_is_refused_on_the_session_date(accepted_plan, clinician, product, today):
    old = ProductLotFactory(
        product=product,
        received_on=today - timedelta(days=90),
        expires_on=today - timedelta(days=1),
        status=LotStatus.RELEASED,
    )
    with pytest.raises(delivery.LotRefused, match="expired on"):
        perform(sessions(accepted_plan)[0], clinician, on=today, lot=old)


def test_late_performance_reflows_the_later_sessions(accepted_plan, clinician, lot, today):
    first, second, third = sessions(accepted_plan)
    # The course was planned to start a week ago; session 1 is performed today.
    monthly = Interval(1, "months")
    for n, record in enumerate((first, second, third)):
        record.planned_date = nth_session_date(today - timedelta(days=7), monthly, n)
        TreatmentSession.objects.filter(pk=record.pk).update(planned_date=record.planned_date)
    first.refresh_from_db()

    moves = perform(first, clinician, on=today, lot=lot)

    assert [m.number for m in moves] == [2, 3]
    second.refresh_from_db()
    assert second.planned_date == nth_session_date(today, monthly, 1)


def test_reschedule_moves_the_later_sessions_and_bumps_their_sequence(
    accepted_plan, front_desk, today
):
    _, second, third = sessions(accepted_plan)
    new_date = second.planned_date + timedelta(days=5)

    moves = delivery.session_reschedule(
        session=second, new_date=new_date, user=front_desk, expected_state=state_of(accepted_plan)
    )

    assert [m.number for m in moves] == [2, 3]
    third.refresh_from_db()
    assert third.planned_date == nth_session_date(new_date, Interval(1, "months"), 1)
    assert third.sequence == 1


def test_reschedule_keeps_a_fixed_session(accepted_plan, front_desk):
    _, second, third = sessions(accepted_plan)

    delivery.session_reschedule(
        session=second,
        new_date=second.planned_date + timedelta(days=5),
        keep_fixed={3},
        user=front_desk,
        expected_state=state_of(accepted_plan),
    )

    assert TreatmentSession.objects.get(pk=third.pk).planned_date == third.planned_date


def test_two_users_one_stale_reschedule(accepted_plan, front_desk, clinician):
    _, second, _ = sessions(accepted_plan)

    result = two_users_one_stale(
        read=lambda: state_of(accepted_plan),
        other_write=lambda: delivery.session_reschedule(
            session=second,
            new_date=second.planned_date + timedelta(days=2),
            user=clinician,
            expected_state=state_of(accepted_plan),
        ),
        stale_write=lambda seen: delivery.session_reschedule(
            session=second,
            new_date=second.planned_date + timedelta(days=9),
            user=front_desk,
            expected_state=seen,
        ),
        state=lambda: [(s.planned_date, s.version) for s in sessions(accepted_plan)],
    )
    assert str(result) == delivery.STALE_SESSIONS


def test_two_users_one_stale_perform(accepted_plan, clinician, front_desk, lot, today):
    first, second, _ = sessions(accepted_plan)

    result = two_users_one_stale(
        read=lambda: state_of(accepted_plan),
        other_write=lambda: delivery.session_close(
            session=first,
            status=SessionStatus.NO_SHOW,
            user=front_desk,
            expected_state=state_of(accepted_plan),
        ),
        stale_write=lambda seen: delivery.session_perform(
            session=first,
            performed_on=today,
            performer=clinician,
            lot=lot,
            user=clinician,
            expected_state=seen,
        ),
        state=lambda: [(s.status, s.version) for s in sessions(accepted_plan)],
    )
    assert str(result) == delivery.STALE_SESSIONS


def test_two_users_one_stale_close(accepted_plan, clinician, front_desk):
    _, second, _ = sessions(accepted_plan)

    result = two_users_one_stale(
        read=lambda: state_of(accepted_plan),
        other_write=lambda: delivery.session_reschedule(
            session=second,
            new_date=second.planned_date + timedelta(days=1),
            user=clinician,
            expected_state=state_of(accepted_plan),
        ),
        stale_write=lambda seen: delivery.session_close(
            session=second, status=SessionStatus.CANCELLED, user=front_desk, expected_state=seen
        ),
        state=lambda: [(s.status, s.version) for s in sessions(accepted_plan)],
    )
    assert str(result) == delivery.STALE_SESSIONS


def test_completing_by_hand_with_sessions_open_needs_a_reason(accepted_plan, clinician):
    with pytest.raises(delivery.SessionActionError, match="Give the reason"):
        delivery.plan_complete(
            plan=accepted_plan, reason=" ", user=clinician, expected_version=accepted_plan.version
        )

    delivery.plan_complete(
        plan=accepted_plan,
        reason="Patient moved abroad",
        user=clinician,
        expected_version=accepted_plan.version,
    )
    assert {s.status for s in sessions(accepted_plan)} == {SessionStatus.CANCELLED}
    assert all("Patient moved abroad" in s.notes for s in sessions(accepted_plan))


def test_two_users_one_stale_plan_complete(accepted_plan, clinician, front_desk):
    result = two_users_one_stale(
        read=lambda: accepted_plan.version,
        other_write=lambda: (
            delivery.session_close(
                session=sessions(accepted_plan)[0],
                status=SessionStatus.CANCELLED,
                user=front_desk,
                expected_state=state_of(accepted_plan),
            )
            and actions.Plan.objects.filter(pk=accepted_plan.pk).update(
                version=accepted_plan.version + 1
            )
        ),
        stale_write=lambda seen: delivery.plan_complete(
            plan=accepted_plan, reason="x", user=clinician, expected_version=seen
        ),
        state=lambda: (
            actions.Plan.objects.get(pk=accepted_plan.pk).status,
            [s.status for s in sessions(accepted_plan)],
        ),
    )
    assert isinstance(result, actions.PlanActionError)


def test_cancelling_the_plan_cancels_its_planned_sessions(accepted_plan, front_desk):
    actions.plan_transition(
        plan=accepted_plan,
        to_status=PlanStatus.CANCELLED,
        user=front_desk,
        expected_version=accepted_plan.version,
    )

    assert {s.status for s in sessions(accepted_plan)} == {SessionStatus.CANCELLED}


def test_accepting_refuses_a_recalled_lot(catalog, patient, product, clinician, today):
    from clinic.catalog_seed import MICRONEEDLING
    from tests.factories.planner import make_plan
    from tests.planner.delivery.conftest import accept

    recalled = ProductLotFactory(
        product=product,
        received_on=today - timedelta(days=10),
        expires_on=today + timedelta(days=300),
        status=LotStatus.RECALLED,
    )
    plan = make_plan(patient, catalog[MICRONEEDLING])
    plan.courses.update(product=product, lot=recalled)

    with pytest.raises(actions.PlanActionError, match="cannot be planned"):
        accept(plan, clinician)
    assert not TreatmentSession.objects.filter(plan=plan).exists()


def test_adverse_event_only_after_a_performed_session(accepted_plan, clinician, lot, today):
    first, second, _ = sessions(accepted_plan)
    fields = dict(
        noticed_on=today,
        description="Redness for three days",
        severity="mild",
        action_taken="Cold compress",
        reported_to_medwatch=False,
        medwatch_reference="",
        user=clinician,
    )
    with pytest.raises(delivery.SessionActionError, match="performed session"):
        delivery.adverse_event_record(
            session=second, expected_state=state_of(accepted_plan), **fields
        )
    perform(first, clinician, on=today, lot=lot)
    with pytest.raises(delivery.SessionActionError, match="MedWatch reference"):
        delivery.adverse_event_record(
            session=first,
            expected_state=state_of(accepted_plan),
            **{**fields, "reported_to_medwatch": True},
        )

    event = delivery.adverse_event_record(
        session=first, expected_state=state_of(accepted_plan), **fields
    )
    assert event.session == first and event.recorded_by == clinician


@pytest.mark.parametrize("days", [-1, 1])
def test_adverse_event_is_noticed_between_the_session_and_today(
    accepted_plan, clinician, lot, today, days
):
    """An event is noticed after the session that caused it and not later than today: a
    day before the session (or a typo'd year ahead) is refused, nothing written."""
    first = sessions(accepted_plan)[0]
    perform(first, clinician, on=today, lot=lot)
    with pytest.raises(delivery.SessionActionError) as refused:
        delivery.adverse_event_record(
            session=first,
            noticed_on=today + timedelta(days=days),
            description="Redness",
            severity="mild",
            action_taken="",
            reported_to_medwatch=False,
            medwatch_reference="",
            user=clinician,
            expected_state=state_of(accepted_plan),
        )
    assert str(refused.value) == delivery.NOTICED_OUTSIDE.format(
        performed=format_date(today), today=format_date(today)
    )
    assert not first.adverse_events.exists()


def test_no_show_only_once_the_day_has_come(accepted_plan, front_desk, today):
    """A no-show is a patient who did not come: a session a month ahead cannot be one yet
    (the plan page offered it for every planned session, and closing is final)."""
    first, second, _ = sessions(accepted_plan)
    with pytest.raises(delivery.SessionActionError) as refused:
        delivery.session_close(
            session=second,
            status=SessionStatus.NO_SHOW,
            user=front_desk,
            expected_state=state_of(accepted_plan),
        )
    assert str(refused.value) == delivery.NO_SHOW_BEFORE_THE_DAY.format(
        number=2, day=format_date(second.planned_date)
    )
    assert TreatmentSession.objects.get(pk=second.pk).status == SessionStatus.PLANNED

    delivery.session_close(
        session=first,
        status=SessionStatus.NO_SHOW,
        user=front_desk,
        expected_state=state_of(accepted_plan),
    )
    assert TreatmentSession.objects.get(pk=first.pk).status == SessionStatus.NO_SHOW


def test_two_users_one_stale_adverse_event(accepted_plan, clinician, lot, today):
    first = sessions(accepted_plan)[0]
    perform(first, clinician, on=today, lot=lot)
    fields = dict(
        session=first,
        noticed_on=today,
        description="Swelling",
        severity="moderate",
        action_taken="",
        reported_to_medwatch=False,
        medwatch_reference="",
        user=clinician,
    )

    result = two_users_one_stale(
        read=lambda: state_of(accepted_plan),
        other_write=lambda: delivery.adverse_event_record(
            expected_state=state_of(accepted_plan), **fields
        ),
        stale_write=lambda seen: delivery.adverse_event_record(expected_state=seen, **fields),
        state=lambda: first.adverse_events.count(),
    )
    assert str(result) == delivery.STALE_SESSIONS
