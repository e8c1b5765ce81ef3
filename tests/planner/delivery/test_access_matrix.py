"""The access matrix of every session and lot view: which role gets in (anything but 403)
and which is refused (403); a user without a role sees nothing. Anonymous visitors are in
tests/clinic/test_login_required.py's sweep; unknown ids here answer 404."""

import pytest
from django.urls import reverse

from planner.delivery.models import TreatmentSession
from tests.security.conftest import logged_in

pytestmark = pytest.mark.django_db

DESK, CLIN, ADMIN = "front_desk", "clinician", "clinic_admin"
ROLES = ("no_role_user", DESK, CLIN, ADMIN)

# url name, method, the object its id refers to, the roles let in
MATRIX = [
    ("session-day", "get", None, {DESK, CLIN, ADMIN}),
    ("session-perform", "get", "planned", {CLIN}),
    ("session-reschedule", "get", "planned", {DESK, CLIN}),
    ("session-close", "post", "planned", {DESK, CLIN}),
    ("session-adverse-event", "get", "performed", {CLIN}),
    ("plan-complete", "post", "plan", {DESK, CLIN, ADMIN}),
    ("lot-list", "get", None, {CLIN, ADMIN}),
    ("lot-detail", "get", "lot", {CLIN, ADMIN}),
    ("lot-status", "post", "lot", {CLIN, ADMIN}),
    ("lot-storage-reading", "post", "lot", {CLIN, ADMIN}),
    ("lot-recall-csv", "get", "lot", {ADMIN}),
    ("lot-recall-letter", "get", "letter", {ADMIN}),
    ("lot-recall-letter-pdf", "get", "letter", {ADMIN}),
    ("lot-recall-contacted", "post", "letter", {ADMIN}),
]


@pytest.fixture
def objects(accepted_plan, clinician, lot, today):
    from planner.delivery import actions as delivery
    from planner.delivery.selectors import course_state

    first, second, _ = TreatmentSession.objects.filter(plan=accepted_plan).order_by("number")
    delivery.session_perform(
        session=first,
        performed_on=today,
        performer=clinician,
        lot=lot,
        user=clinician,
        expected_state=course_state(TreatmentSession.objects.filter(plan=accepted_plan)),
    )
    return {
        None: [],
        "planned": [second.pk],
        "performed": [first.pk],
        "plan": [accepted_plan.pk],
        "lot": [lot.pk],
        "letter": [lot.pk, accepted_plan.patient_id],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "target", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_access(request, objects, role, name, method, target, allowed):
    client = logged_in(request.getfixturevalue(role))

    response = getattr(client, method)(reverse(name, args=objects[target]))

    if role in allowed:
        assert response.status_code != 403, (name, role)
    else:
        assert response.status_code == 403, (name, role, response.status_code)


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        ("session-perform", "get", [999999]),
        ("session-reschedule", "get", [999999]),
        ("lot-detail", "get", [999999]),
        ("lot-recall-letter", "get", [999999, 1]),
    ],
)
def test_unknown_ids_are_404(request, clinic_admin, clinician, name, method, args):
    user = clinic_admin if name.startswith("lot-recall") or name == "lot-detail" else clinician
    client = logged_in(user)
    assert getattr(client, method)(reverse(name, args=args)).status_code == 404
