"""A plan that completes takes no more deposits: what it still owed leaves the day board's
"deposits still due", whether it completes as its last session closes or by hand."""

from decimal import Decimal

import pytest

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import DepositRule
from planner.delivery import actions as delivery
from planner.models import DepositBalance, PlanStatus, SessionStatus
from tests.factories.planner import make_plan
from tests.helpers import assert_derived_rows_kept
from tests.planner.delivery.conftest import accept
from tests.planner.delivery.test_lot_reach import perform, sessions, state

pytestmark = pytest.mark.django_db


def owed(plan) -> bool:
    return DepositBalance.objects.filter(plan=plan, owed_since__isnull=False).exists()


@pytest.fixture
def owing_plan(catalog, patient, lot, clinician, today):
    DepositRule.objects.create(kind="fixed", amount=Decimal("100"))
    plan = make_plan(patient, catalog[MICRONEEDLING], sessions=3, title="Owing plan")
    plan.courses.update(product=lot.product, lot=lot, first_session=today)
    plan = accept(plan, clinician)
    assert owed(plan)
    return plan


def test_closing_the_last_planned_session_completes_the_plan_and_its_deposit(
    owing_plan, lot, clinician, today
):
    perform(owing_plan, 1, by=clinician, lot=lot, today=today)
    for number in (2, 3):
        delivery.session_close(
            session=sessions(owing_plan)[number - 1],
            status=SessionStatus.CANCELLED,
            user=clinician,
            expected_state=state(owing_plan),
        )

    owing_plan.refresh_from_db()
    assert owing_plan.status == PlanStatus.COMPLETED
    assert not owed(owing_plan)
    assert_derived_rows_kept()


def test_completing_by_hand_leaves_nothing_owed(owing_plan, clinician):
    owing_plan.refresh_from_db()

    delivery.plan_complete(
        plan=owing_plan, reason="Moved away", user=clinician, expected_version=owing_plan.version
    )

    assert not owed(owing_plan)
    assert_derived_rows_kept()
