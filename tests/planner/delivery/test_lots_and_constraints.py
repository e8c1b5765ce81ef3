"""A lot's moves (clinic/lots/) and the database's own rules for session records and lots."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from clinic.lots import actions as lot_actions
from clinic.lots.rules import allowed_moves, point_of_use_problems
from clinic.models import LotStatus, ProductLot
from planner.delivery.models import AdverseEvent, TreatmentSession
from tests.factories.clinic import StorageCheckFactory

pytestmark = pytest.mark.django_db


def change(lot, to, user, reason="Checked"):
    return lot_actions.lot_change_status(
        lot=lot, to_status=to, reason=reason, user=user, expected_version=lot.version
    )


def test_the_moves_of_a_lot():
    assert set(allowed_moves(LotStatus.RECEIVED)) == {
        "released",
        "quarantined",
        "recalled",
        "discarded",
    }
    assert allowed_moves(LotStatus.RECALLED) == ("discarded",)
    assert allowed_moves(LotStatus.DISCARDED) == ()


def test_a_recalled_lot_is_never_released_again(lot, clinic_admin, clinician):
    change(lot, LotStatus.RECALLED, clinic_admin)

    with pytest.raises(lot_actions.LotActionError, match="cannot be marked released"):
        change(lot, LotStatus.RELEASED, clinician)


def test_every_change_needs_a_reason_and_is_logged(lot, clinician):
    with pytest.raises(lot_actions.LotActionError, match="Say why"):
        change(lot, LotStatus.QUARANTINED, clinician, reason="  ")

    change(lot, LotStatus.QUARANTINED, clinician, reason="Fridge alarm")

    logged = lot.status_changes.get()
    assert (logged.from_status, logged.to_status, logged.changed_by, logged.reason) == (
        "released",
        "quarantined",
        clinician,
        "Fridge alarm",
    )


@pytest.mark.parametrize(
    ("who", "to"),
    [
        ("clinician", LotStatus.RECALLED),
        ("clinic_admin", LotStatus.RELEASED),
        ("front_desk", LotStatus.QUARANTINED),
    ],
)
def test_who_may_make_each_move(request, lot, who, to):
    if to == LotStatus.RELEASED:
        lot.status = LotStatus.QUARANTINED
        lot.save()
    with pytest.raises(lot_actions.LotActionError, match="Your role may not"):
        change(lot, to, request.getfixturevalue(who))


def test_release_reviews_the_readings_up_to_today(lot, product, clinician, today):
    StorageCheckFactory(lot=lot, checked_on=today - timedelta(days=2), temperature_celsius=11)
    assert point_of_use_problems(lot, product, lot.storage_checks.all(), on=today)

    change(lot, LotStatus.RELEASED, clinician, reason="Probe log normal; door opened briefly")

    assert lot.storage_reviewed_through == today
    assert point_of_use_problems(lot, product, lot.storage_checks.all(), on=today) == []


def test_a_lot_not_yet_released_fails_the_point_of_use_check(lot, product, today):
    lot.status = LotStatus.RECEIVED
    assert "has not been released" in point_of_use_problems(lot, product, [], on=today)[0]


# Database rules ----------------------------------------------------------------------------


def violates(**changes):
    def run(record):
        for name, value in changes.items():
            setattr(record, name, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            record.save()

    return run


def test_a_performed_session_has_a_performer_and_a_date(accepted_plan, today):
    record = TreatmentSession.objects.filter(plan=accepted_plan).first()
    violates(status="performed", performed_on=today, performed_by=None)(record)
    violates(status="performed", performed_on=None)(record)


def test_a_performed_product_session_has_its_lot(accepted_plan, clinician, today):
    record = TreatmentSession.objects.filter(plan=accepted_plan).first()
    assert record.needs_lot
    violates(status="performed", performed_on=today, performed_by=clinician, lot_used=None)(record)


def test_statuses_are_known_values(accepted_plan, lot):
    record = TreatmentSession.objects.filter(plan=accepted_plan).first()
    violates(status="done")(record)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductLot.objects.filter(pk=lot.pk).update(status="lost")


def test_a_medwatch_report_has_its_reference(accepted_plan, clinician, today):
    record = TreatmentSession.objects.filter(plan=accepted_plan).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        AdverseEvent.objects.create(
            session=record,
            noticed_on=today,
            description="x",
            severity="mild",
            reported_to_medwatch=True,
            medwatch_reference="",
            recorded_by=clinician,
        )
