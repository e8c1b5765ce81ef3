from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import LotStatus
from planner import actions
from planner.models import PlanStatus
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import make_plan
from tests.helpers import sign_as_patient


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def product(db):
    return ExosomeProductFactory(storage_min_celsius=Decimal("2"), storage_max_celsius=Decimal("8"))


@pytest.fixture
def lot(product, today):
    return ProductLotFactory(
        product=product,
        lot_number="EXO-1",
        received_on=today - timedelta(days=60),
        expires_on=today + timedelta(days=365),
        status=LotStatus.RELEASED,
    )


def accept(plan, user):
    """Present `plan` as staff would, then accept it as the patient does: by signing the
    consents it needs on a private link (planner.signing)."""
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=user, expected_version=plan.version
    )
    sign_as_patient(plan, staff=user)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def accepted_plan(catalog, patient, product, lot, clinician, today):
    """Microneedling × 3, monthly, first session today, with the product and its lot."""
    plan = make_plan(
        patient,
        catalog[MICRONEEDLING],
        sessions=3,
        interval_count=1,
        interval_unit="months",
        title="Course plan",
    )
    plan.courses.update(product=product, lot=lot, first_session=today)
    return accept(plan, clinician)
