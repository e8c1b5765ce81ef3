from datetime import date

import pytest
from django.urls import reverse

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from planner import actions
from planner.models import PlanStatus
from planner.signing import actions as signing
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import make_plan
from tests.helpers import sign_off_expected

DOB = date(1984, 5, 2)


@pytest.fixture
def presented_plan(catalog, patient, front_desk):
    plan = make_plan(patient, catalog[MICRONEEDLING], title="Glow plan")
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    plan.refresh_from_db()
    return plan


@pytest.fixture
def investigational_plan(catalog, patient, clinician):
    plan = make_plan(patient, catalog[INJECTABLE], sessions=2, title="Injectable plan")
    lot = ProductLotFactory(product=ExosomeProductFactory(injectable=True))
    plan.courses.update(product=lot.product, lot=lot)
    actions.plan_record_investigational(
        plan=plan,
        reference="IND 123456",
        user=clinician,
        **sign_off_expected(plan),
    )
    plan.refresh_from_db()
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=plan.version
    )
    plan.refresh_from_db()
    return plan


@pytest.fixture
def link_token(presented_plan, front_desk):
    link, token = signing.link_create(
        plan=presented_plan, user=front_desk, expected_version=presented_plan.version
    )
    return link, token


def open_link(client, token, dob=DOB):
    return client.post(reverse("sign-link", args=[token]), {"date_of_birth": dob.isoformat()})
