"""CSRF on every state-changing request, htmx included.

Each endpoint is posted three ways by a logged-in client that enforces CSRF checks like a
browser's server would: with no token and with a forged one it is refused (403) and nothing
changes; with the token the page itself hands out (its form field, or the X-CSRFToken header
htmx sends from `hx-headers` on <body>) it works."""

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import two_factor
from clinic.catalog_seed import MICRONEEDLING
from clinic.models import LotStatus, PriceRange, PriceUnit, ProductLot, StorageCheck
from clinic.roles import FRONT_DESK
from clinic.staff.actions import staff_version
from planner import actions as plan_actions
from planner.delivery import actions as delivery_actions
from planner.delivery.selectors import course_state
from planner.models import AdverseEvent, Course, Patient, Plan, RecallContact, TreatmentSession
from tests.factories.accounts import TOTPDeviceFactory, totp_code
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import PatientFactory, make_plan
from tests.helpers import sign_as_patient, sign_off_fields
from tests.security.conftest import logged_in

FORGED = "x" * 64
PASSWORD = "correct-horse-battery"  # tests.factories.accounts.UserFactory's


def body_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def form_token(client, url: str) -> str:
    """The token in the page's form, as a browser submits it."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body_of(client, url))[1]


class _BodyAttributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attributes = None

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.attributes is None:
            self.attributes = dict(attrs)


def htmx_token(client, url: str) -> str:
    """The token htmx sends with every request it makes from this page: the X-CSRFToken
    header in `data-hx-headers` on <body> (the spelling that validates), which every element
    inherits."""
    parser = _BodyAttributes()
    parser.feed(body_of(client, url))
    assert parser.attributes is not None, f"no <body> in {url}"
    assert "data-hx-headers" in parser.attributes, f"no data-hx-headers on <body> of {url}"
    return json.loads(parser.attributes["data-hx-headers"])["X-CSRFToken"]


def editor_data(treatment, *, action: str, **extra) -> dict:
    return {
        "courses-TOTAL_FORMS": "1",
        "courses-INITIAL_FORMS": "0",
        "courses-0-treatment": str(treatment.pk),
        "courses-0-sessions": "3",
        "courses-0-interval_count": "",
        "courses-0-interval_unit": "",
        "courses-0-first_session": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "courses-0-exosome_source": "",
        "title": "Glow plan",
        "ready_by": "",
        "notes": "",
        "action": action,
        **extra,
    }


def state() -> tuple:
    """Everything a state-changing request here could change."""
    return (
        list(Patient.objects.values_list("id", "full_name", "archived")),
        list(Plan.objects.values_list("id", "title", "status", "version")),
        Course.objects.count(),
        list(PriceRange.objects.values_list("id", "minimum", "maximum")),
        list(get_user_model().objects.values_list("id", "username", "is_active", "password")),
        list(get_user_model().groups.through.objects.values_list("user_id", "group_id")),
        list(TOTPDevice.objects.values_list("id", "confirmed", "last_t")),
        sorted(StaticToken.objects.values_list("token", flat=True)),
        list(TreatmentSession.objects.values_list("id", "status", "planned_date", "version")),
        list(ProductLot.objects.values_list("id", "status", "version")),
        AdverseEvent.objects.count(),
        RecallContact.objects.count(),
        StorageCheck.objects.count(),
    )


@dataclass
class Endpoint:
    role: str  # the fixture of the user who posts
    page: str  # where the token comes from
    url: str
    data: dict = field(default_factory=dict)
    htmx: bool = False
    ok: int = 302
    verified: bool = True  # False: logged in with the password only, before the second step


@pytest.fixture
def clinician_with_authenticator(clinician):
    TOTPDeviceFactory(user=clinician)
    return clinician


@pytest.fixture
def delivery(catalog, clinician):
    """An accepted plan of three sessions with a product and its lot, session 1 performed."""
    today = timezone.localdate()
    product = ExosomeProductFactory()
    lot = ProductLotFactory(
        product=product,
        received_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=365),
        status=LotStatus.RELEASED,
    )
    plan = make_plan(
        PatientFactory(),
        catalog[MICRONEEDLING],
        interval_count=1,
        interval_unit="months",
        title="Course",
    )
    plan.courses.update(product=product, lot=lot, first_session=today)
    plan_actions.plan_transition(
        plan=plan, to_status="presented", user=clinician, expected_version=plan.version
    )
    sign_as_patient(plan, staff=clinician)  # the patient's signature accepts it
    first, second, third = TreatmentSession.objects.filter(plan=plan).order_by("number")
    delivery_actions.session_perform(
        session=first,
        performed_on=today,
        performer=clinician,
        lot=lot,
        user=clinician,
        expected_state=course_state([first, second, third]),
    )
    plan.refresh_from_db()
    return {
        "plan": plan,
        "lot": lot,
        "sessions": list(TreatmentSession.objects.filter(plan=plan).order_by("number")),
        "today": today,
    }


def delivery_endpoints(delivery) -> dict:
    plan, lot, today = delivery["plan"], delivery["lot"], delivery["today"]
    first, second, third = delivery["sessions"]
    state_now = course_state(delivery["sessions"])
    detail = plan.get_absolute_url()
    lot_page = reverse("lot-detail", args=[lot.pk])
    perform = reverse("session-perform", args=[second.pk])
    reschedule = reverse("session-reschedule", args=[second.pk])
    adverse = reverse("session-adverse-event", args=[first.pk])
    return {
        "session-perform": Endpoint(
            "clinician",
            perform,
            perform,
            {
                "state": state_now,
                "performed_on": today.isoformat(),
                "lot": lot.pk,
                "performer": first.performed_by_id,
            },
        ),
        "session-reschedule": Endpoint(
            "front_desk",
            reschedule,
            reschedule,
            {
                "state": state_now,
                "new_date": (second.planned_date + timedelta(days=3)).isoformat(),
                "confirm": "on",
            },
        ),
        "session-close": Endpoint(
            "front_desk",
            detail,
            reverse("session-close", args=[third.pk]),
            {"state": state_now, "status": "no_show"},
        ),
        "session-adverse-event": Endpoint(
            "clinician",
            adverse,
            adverse,
            {
                "state": state_now,
                "noticed_on": today.isoformat(),
                "description": "Redness",
                "severity": "mild",
            },
        ),
        "plan-complete": Endpoint(
            "front_desk",
            detail,
            reverse("plan-complete", args=[plan.pk]),
            {"version": plan.version, "reason": "Moved away"},
        ),
        "lot-status": Endpoint(
            "clinician",
            lot_page,
            reverse("lot-status", args=[lot.pk]),
            {"version": lot.version, "to_status": "quarantined", "reason": "Probe check"},
        ),
        "lot-storage-reading": Endpoint(
            "clinician",
            lot_page,
            reverse("lot-storage-reading", args=[lot.pk]),
            {"version": lot.version, "checked_on": today.isoformat(), "temperature_celsius": "5"},
        ),
        "lot-recall-contacted": Endpoint(
            "clinic_admin",
            lot_page,
            reverse("lot-recall-contacted", args=[lot.pk, plan.patient_id]),
        ),
    }


@pytest.fixture
def endpoints(
    catalog,
    patient,
    draft_plan,
    investigational_plan,
    front_desk,
    clinician_with_authenticator,
    delivery,
):
    treatment = catalog[MICRONEEDLING]
    create = f"{reverse('plan-create')}?patient={patient.pk}"
    edit = reverse("plan-edit", args=[draft_plan.pk])
    detail = draft_plan.get_absolute_url()
    version = str(draft_plan.version)
    price = PriceRange.objects.filter(treatment=treatment, unit=PriceUnit.SESSION).first()
    price_change = reverse("admin:clinic_pricerange_change", args=[price.pk])
    staff_page = reverse("staff-edit", args=[front_desk.pk])
    duplicate = PatientFactory(full_name=patient.full_name, date_of_birth=patient.date_of_birth)
    price_fields = {
        "treatment": str(price.treatment_id),
        "unit": price.unit,
        "series_size": "",
        "minimum": str(price.minimum),
        "maximum": str(price.maximum + 100),
        "currency": price.currency,
        "effective_from": price.effective_from.isoformat(),
        "source": price.source,
        "notes": "",
        "_save": "Save",
    }
    return {
        **delivery_endpoints(delivery),
        "patient-create": Endpoint(
            "front_desk", reverse("patient-create"), reverse("patient-create"), {"full_name": "Bo"}
        ),
        "patient-edit": Endpoint(
            "front_desk",
            reverse("patient-edit", args=[patient.pk]),
            reverse("patient-edit", args=[patient.pk]),
            {"full_name": "Ada Changed", "version": patient.version},
        ),
        "plan-create save": Endpoint(
            "front_desk", create, create, editor_data(treatment, action="save")
        ),
        "plan-create htmx recalculation": Endpoint(
            "front_desk", create, create, editor_data(treatment, action="recalculate"), True, 200
        ),
        "plan-edit save": Endpoint(
            "front_desk", edit, edit, editor_data(treatment, action="save", version=version)
        ),
        "plan-edit htmx recalculation": Endpoint(
            "front_desk",
            edit,
            edit,
            editor_data(treatment, action="recalculate", version=version),
            True,
            200,
        ),
        "plan-edit htmx add course": Endpoint(
            "front_desk",
            edit,
            edit,
            editor_data(treatment, action="add_course", version=version),
            True,
            200,
        ),
        "plan-transition": Endpoint(
            "front_desk",
            detail,
            reverse("plan-transition", args=[draft_plan.pk]),
            {"to": "presented", "version": version},
        ),
        "plan-investigational": Endpoint(
            "clinician",
            investigational_plan.get_absolute_url(),
            reverse("plan-investigational", args=[investigational_plan.pk]),
            {
                "reference": "IND 123456",
                "patient_acknowledged": "on",
                **sign_off_fields(investigational_plan),
            },
        ),
        "plan-duplicate": Endpoint(
            "front_desk", detail, reverse("plan-duplicate", args=[draft_plan.pk])
        ),
        "patient-merge": Endpoint(
            "clinic_admin",
            reverse("patient-merge-choose", args=[patient.pk]),
            reverse("patient-merge", args=[patient.pk]),
            {
                "merge": duplicate.pk,
                "keep_version": patient.version,
                "merge_version": duplicate.version,
            },
        ),
        "plan-delete-draft": Endpoint(
            "clinician",
            detail,
            reverse("plan-delete-draft", args=[draft_plan.pk]),
            {"version": version},
        ),
        "logout": Endpoint("front_desk", reverse("home"), reverse("logout")),
        "two-factor-verify": Endpoint(
            "clinician_with_authenticator",
            reverse("two-factor-verify"),
            reverse("two-factor-verify"),
            {"code": totp_code(TOTPDevice.objects.get(user=clinician_with_authenticator))},
            verified=False,
        ),
        "two-factor-enrol": Endpoint(
            "front_desk",
            reverse("two-factor-enrol"),
            reverse("two-factor-enrol"),
            {"code": totp_code(two_factor.pending_authenticator(user=front_desk))},
            ok=200,
        ),
        "two-factor-recovery-codes": Endpoint(
            "clinic_admin",
            reverse("two-factor"),
            reverse("two-factor-recovery-codes"),
            ok=200,
        ),
        "staff-two-factor-reset": Endpoint(
            "clinic_admin",
            reverse("staff-two-factor-reset", args=[clinician_with_authenticator.pk]),
            reverse("staff-two-factor-reset", args=[clinician_with_authenticator.pk]),
        ),
        "admin price-range change": Endpoint(
            "clinic_admin", price_change, price_change, price_fields
        ),
        "staff-create": Endpoint(
            "clinic_admin",
            reverse("staff-create"),
            reverse("staff-create"),
            {"first_name": "Rosa", "username": "rosa", "role": FRONT_DESK, "password": ""},
            ok=200,  # the generated password, shown once
        ),
        "staff-edit": Endpoint(
            "clinic_admin",
            staff_page,
            staff_page,
            {
                "first_name": "Renamed",
                "username": front_desk.username,
                "role": FRONT_DESK,
                "is_active": "on",
                "version": staff_version(front_desk),
            },
        ),
        "staff-password": Endpoint(
            "clinic_admin",
            staff_page,
            reverse("staff-password", args=[front_desk.pk]),
            {"reset-password": "", "reset-version": staff_version(front_desk)},
            ok=200,
        ),
        "staff-unlock": Endpoint(
            "clinic_admin",
            staff_page,
            reverse("staff-unlock", args=[front_desk.pk]),
            {"version": staff_version(front_desk)},
        ),
        "password-change": Endpoint(
            "front_desk",
            reverse("password-change"),
            reverse("password-change"),
            {
                "old_password": PASSWORD,
                "new_password1": "violet-harbour-anvil-42",
                "new_password2": "violet-harbour-anvil-42",
            },
        ),
    }


ENDPOINTS = [
    "patient-create",
    "patient-edit",
    "plan-create save",
    "plan-create htmx recalculation",
    "plan-edit save",
    "plan-edit htmx recalculation",
    "plan-edit htmx add course",
    "plan-transition",
    "plan-investigational",
    "plan-duplicate",
    "plan-delete-draft",
    "patient-merge",
    "logout",
    "two-factor-verify",
    "two-factor-enrol",
    "two-factor-recovery-codes",
    "staff-two-factor-reset",
    "admin price-range change",
    "staff-create",
    "staff-edit",
    "staff-password",
    "staff-unlock",
    "password-change",
    "session-perform",
    "session-reschedule",
    "session-close",
    "session-adverse-event",
    "plan-complete",
    "lot-status",
    "lot-recall-contacted",
    "lot-storage-reading",
]


def csrf_client(request, endpoint: Endpoint):
    user = request.getfixturevalue(endpoint.role)
    if endpoint.verified:
        return logged_in(user, enforce_csrf_checks=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post(client, endpoint: Endpoint, token: str | None):
    headers = {"HX-Request": "true"} if endpoint.htmx else {}
    data = dict(endpoint.data)
    if token is not None:
        if endpoint.htmx:
            headers["X-CSRFToken"] = token
        else:
            data["csrfmiddlewaretoken"] = token
    return client.post(endpoint.url, data, headers=headers)


def test_every_state_changing_endpoint_is_covered(endpoints):
    assert sorted(endpoints) == sorted(ENDPOINTS)


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("token", [None, FORGED], ids=["no token", "forged token"])
def test_refused_without_a_valid_token(request, endpoints, name, token):
    endpoint = endpoints[name]
    client = csrf_client(request, endpoint)
    body_of(client, endpoint.page)  # the browser has the CSRF cookie, as after any page view
    before = state()

    response = post(client, endpoint, token)

    assert response.status_code == 403
    assert state() == before
    assert client.session.get(SESSION_KEY)  # still logged in: logout was refused too


@pytest.mark.parametrize("name", ENDPOINTS)
def test_works_with_the_token_the_page_hands_out(request, endpoints, name):
    endpoint = endpoints[name]
    client = csrf_client(request, endpoint)
    token = (htmx_token if endpoint.htmx else form_token)(client, endpoint.page)

    response = post(client, endpoint, token)

    assert response.status_code == endpoint.ok, response.content.decode()[:500]


def test_a_token_from_the_cookie_alone_is_refused(request, endpoints):
    """The cookie is sent by the browser on any cross-site post: it must not be enough."""
    endpoint = endpoints["plan-duplicate"]
    client = csrf_client(request, endpoint)
    body_of(client, endpoint.page)
    before = state()

    response = client.post(endpoint.url)

    assert settings.CSRF_COOKIE_NAME in client.cookies
    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize(
    "page",
    ["home", "patient-list", "plan-list", "catalog", "plan detail", "plan editor", "patient form"],
)
def test_every_page_gives_htmx_the_token_on_body(request, endpoints, draft_plan, page):
    urls = {
        "plan detail": draft_plan.get_absolute_url(),
        "plan editor": reverse("plan-edit", args=[draft_plan.pk]),
        "patient form": reverse("patient-create"),
    }
    client = logged_in(request.getfixturevalue("front_desk"), enforce_csrf_checks=True)
    url = urls.get(page) or reverse(page)

    token = htmx_token(client, url)

    # The header value is a usable token: an htmx post from this page goes through.
    response = client.post(
        reverse("plan-duplicate", args=[draft_plan.pk]),
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 302


def test_login_needs_a_token(front_desk):
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": front_desk.username, "password": PASSWORD}

    assert client.post(reverse("login"), credentials).status_code == 403
    assert SESSION_KEY not in client.session

    token = form_token(client, reverse("login"))
    response = client.post(reverse("login"), {**credentials, "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(front_desk.pk)


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_is_exempt_from_csrf():
    exempt = [
        route
        for route, view in _views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
    ]

    assert exempt == []


@pytest.mark.parametrize(
    "name",
    [
        "plan-transition",
        "plan-investigational",
        "plan-duplicate",
        "plan-delete-draft",
        "patient-merge",
        "logout",
        "staff-password",
        "staff-unlock",
        "two-factor-recovery-codes",
    ],
)
def test_state_changing_endpoints_refuse_get(request, endpoints, name):
    """A link or an <img> on another site can make a GET, never a POST with a token."""
    endpoint = endpoints[name]
    client = csrf_client(request, endpoint)
    before = state()

    response = client.get(endpoint.url)

    assert response.status_code == 405
    assert state() == before
