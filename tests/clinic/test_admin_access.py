"""The admin is no back door: every admin URL (changelist, add, change, delete, history of
every registered model) for every kind of account, with the status each must get; and a
POST to any history version's form changes nothing, whoever sends it."""

from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from simple_history.admin import SimpleHistoryAdmin

from clinic.models import ConsentDocument, DepositRule, EvidenceNote, LotStatusChange
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from planner.models import (
    AdverseEvent,
    Deposit,
    RecallContact,
    ShareLink,
    SignedConsent,
    SignedRecord,
    SigningEvent,
    SummaryAccess,
    TreatmentSession,
)
from tests.conftest import user_with_role
from tests.factories.accounts import TOTPDeviceFactory, UserFactory, force_verified_login
from tests.factories.clinic import (
    ExosomeProductFactory,
    PriceRangeFactory,
    ProductLotFactory,
    TreatmentTypeFactory,
)
from tests.factories.planner import CourseFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = {
    "anonymous": None,
    "no role": dict(role=None),
    "front desk": dict(role=FRONT_DESK),
    "front desk with staff flag": dict(role=FRONT_DESK, is_staff=True),
    "clinician": dict(role=CLINICIAN),
    "clinician with staff flag": dict(role=CLINICIAN, is_staff=True),
    "staff flag without role": dict(role=None, is_staff=True),
    "clinic admin": dict(role=CLINIC_ADMIN, is_staff=True),
    "superuser": dict(role=None, is_staff=True, is_superuser=True),
}
ADMINS = ("clinic admin", "superuser")
ACTIONS = ("changelist", "add", "change", "delete", "history")

CATALOG = {
    "clinic.treatmenttype",
    "clinic.pricerange",
    "clinic.exosomeproduct",
    "clinic.productlot",
    "clinic.evidencenote",
    "clinic.consentdocument",
    "clinic.depositrule",
}
READ_ONLY = {
    "planner.patient",
    "planner.plan",
    "planner.course",
    "planner.summaryaccess",
    "planner.treatmentsession",
    "planner.adverseevent",
    "planner.recallcontact",
    "clinic.lotstatuschange",
}
SIGNING = {
    "planner.sharelink",
    "planner.signedrecord",
    "planner.signedconsent",
    "planner.signingevent",
    "planner.deposit",
}
READ_ONLY |= SIGNING
# Authenticator devices hold secrets: a clinic admin resets a colleague's second factor on
# the Staff page, never here.
SUPERUSER_ONLY = {"auth.user", "auth.group", "otp_totp.totpdevice", "otp_static.staticdevice"}
AXES = {"axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
REGISTERED = {model._meta.label_lower for model in admin.site._registry}


def expected_status(account: str, label: str, action: str) -> int:
    if account not in ADMINS:
        return 302  # the site's login page, or the admin's "not authorised" login page
    if label in CATALOG:
        return 200
    if label in READ_ONLY:
        return 200 if action in ("changelist", "change", "history") else 403
    if account != "superuser":
        return 403
    if label in AXES and action == "add":
        return 403  # axes keeps its own records
    return 200


def client_for(account: str) -> Client:
    client = Client()
    spec = ACCOUNTS[account]
    if spec is not None:
        spec = dict(spec)
        user = user_with_role(spec.pop("role"), username=account.replace(" ", "-"), **spec)
        if account in ADMINS:
            TOTPDeviceFactory(user=user)  # required for them: signed in with both factors
        force_verified_login(client, user)
    return client


@pytest.fixture
def one_of_each():
    """One saved row of every model the admin shows, by label."""
    course = CourseFactory(plan__status="accepted")  # sessions exist only on accepted plans
    user = UserFactory(username="someone")
    lot = ProductLotFactory(product=ExosomeProductFactory())
    session = TreatmentSession.objects.create(
        plan=course.plan,
        course=course,
        number=1,
        planned_date=course.first_session,
        status="performed",
        performed_on=course.first_session,
        performed_by=user,
    )
    now = timezone.now()
    axes_fields = dict(ip_address="203.0.113.7", username="someone", user_agent="x", path_info="/")
    return {
        "clinic.treatmenttype": TreatmentTypeFactory(),
        "clinic.pricerange": PriceRangeFactory(),
        "clinic.exosomeproduct": lot.product,
        "clinic.productlot": lot,
        "clinic.evidencenote": EvidenceNote.objects.create(
            slug="a-study", kind="study", text="A study finding.", source="mayo-2025"
        ),
        "clinic.consentdocument": ConsentDocument.objects.create(
            slug="a-consent", title="A consent", text="Text.", treatment_kinds=["injectable"]
        ),
        "clinic.depositrule": DepositRule.objects.create(kind="fixed", amount=Decimal("100")),
        **signing_rows(course.plan, user),
        "planner.patient": course.plan.patient,
        "planner.plan": course.plan,
        "planner.course": course,
        "planner.treatmentsession": session,
        "planner.adverseevent": AdverseEvent.objects.create(
            session=session,
            noticed_on=course.first_session,
            description="Redness",
            severity="mild",
            recorded_by=user,
        ),
        "planner.recallcontact": RecallContact.objects.create(
            lot=lot, patient=course.plan.patient, contacted_by=user
        ),
        "clinic.lotstatuschange": LotStatusChange.objects.create(
            lot=lot, from_status="received", to_status="released", reason="ok", changed_by=user
        ),
        "planner.summaryaccess": SummaryAccess.objects.create(
            plan=course.plan, user=user, kind=SummaryAccess.Kind.PAGE
        ),
        "auth.user": user,
        "auth.group": Group.objects.get(name=FRONT_DESK),
        "axes.accessattempt": AccessAttempt.objects.create(
            **axes_fields, failures_since_start=1, attempt_time=now
        ),
        "axes.accesslog": AccessLog.objects.create(**axes_fields, attempt_time=now),
        "otp_totp.totpdevice": TOTPDeviceFactory(user=user),
        "otp_static.staticdevice": StaticDevice.objects.create(user=user, name="backup"),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**axes_fields, attempt_time=now),
    }


def signing_rows(plan, user) -> dict:
    link = ShareLink.objects.create(
        plan=plan,
        token_hash="0" * 64,
        plan_version=plan.version,
        created_by=user,
        expires_at=timezone.now(),
    )
    record = SignedRecord.objects.create(
        plan=plan,
        link=link,
        decision="declined",
        plan_version=plan.version,
        signed_at=timezone.now(),
        shown_hash="0" * 64,
        shown_summary_html="<p>x</p>",
        currency="USD",
    )
    document = ConsentDocument.objects.create(
        slug="signed-one", title="Signed", text="T.", treatment_kinds=["injectable"]
    )
    return {
        "planner.sharelink": link,
        "planner.signedrecord": record,
        "planner.signedconsent": SignedConsent.objects.create(
            record=record, document=document, slug="signed-one", version=1, title="S", text="T."
        ),
        "planner.signingevent": SigningEvent.objects.create(kind="opened", plan=plan),
        "planner.deposit": Deposit.objects.create(
            plan=plan,
            amount=Decimal("50"),
            currency="USD",
            received_on=timezone.localdate(),
            method="cash",
            recorded_by=user,
        ),
    }


def admin_url(obj, action: str) -> str:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}"
    return reverse(name) if action in ("changelist", "add") else reverse(name, args=[obj.pk])


def test_every_registered_model_has_an_expected_access_rule():
    assert REGISTERED == CATALOG | READ_ONLY | SUPERUSER_ONLY | AXES


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_admin_url_answers_each_account_as_expected(one_of_each, account):
    client = client_for(account)
    got, want = {}, {}

    for label in sorted(REGISTERED):
        for action in ACTIONS:
            url = admin_url(one_of_each[label], action)
            got[label, action] = client.get(url).status_code
            want[label, action] = expected_status(account, label, action)

    assert got == want


@pytest.mark.parametrize("account", [a for a in ACCOUNTS if a not in ADMINS and a != "anonymous"])
def test_non_admins_sent_to_admin_login_page(account):
    response = client_for(account).get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize("account", ADMINS)
def test_read_only_models_offer_no_edit_controls(one_of_each, account):
    html = client_for(account).get(admin_url(one_of_each["planner.plan"], "change")).content
    html = html.decode()

    assert 'name="_save"' not in html
    assert "add-related" not in html  # the "+" (add another) beside a related field
    assert "change-related" not in html
    assert 'name="courses-0-sessions"' not in html  # the course inline is text, not inputs
    assert "/delete/" not in html


# History versions: looked at, never saved back


def history_models():
    return sorted(
        label
        for label, model_admin in (
            (m._meta.label_lower, a) for m, a in admin.site._registry.items()
        )
        if isinstance(model_admin, SimpleHistoryAdmin)
    )


def rows(obj) -> dict:
    return model_to_dict(type(obj).objects.get(pk=obj.pk))


def test_history_models_are_the_catalog_and_planner_ones():
    assert set(history_models()) == CATALOG | (READ_ONLY - {"planner.summaryaccess"} - SIGNING)


def price_form(price) -> dict:
    return {
        "treatment": price.treatment_id,
        "unit": price.unit,
        "series_size": "",
        "minimum": "1",
        "maximum": "2",
        "currency": price.currency,
        "effective_from": price.effective_from.isoformat(),
        "source": "back door",
        "notes": "",
        "_save": "Save",
    }


@pytest.mark.parametrize("account", ACCOUNTS)
def test_price_history_form_post_changes_nothing(account):
    """The reported attack: a POST to /admin/clinic/pricerange/<id>/history/<version>/."""
    price = PriceRangeFactory(minimum=Decimal("600"), maximum=Decimal("1500"))
    version = price.history.get().history_id
    url = reverse("admin:clinic_pricerange_simple_history", args=[price.pk, version])

    response = client_for(account).post(url, price_form(price))

    assert response.status_code in (302, 405)
    price.refresh_from_db()
    assert (price.minimum, price.maximum) == (Decimal("600"), Decimal("1500"))
    assert price.history.count() == 1


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_history_form_post_changes_nothing(one_of_each, account):
    client = client_for(account)

    for label in history_models():
        obj = one_of_each[label]
        version = obj.history.first()
        before, versions = rows(obj), obj.history.count()
        data = {
            key: ("changed" if isinstance(value, str) else value)
            for key, value in model_to_dict(obj).items()
            if value is not None and not isinstance(value, list)
        }
        url = reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history",
            args=[obj.pk, version.history_id],
        )

        response = client.post(url, {**data, "_save": "Save"})

        assert response.status_code in (302, 405), (label, response.status_code)
        assert rows(obj) == before, label
        assert obj.history.count() == versions, label


@pytest.mark.parametrize("account", ADMINS)
def test_history_version_still_viewable(account):
    price = PriceRangeFactory()
    url = reverse(
        "admin:clinic_pricerange_simple_history", args=[price.pk, price.history.get().history_id]
    )

    response = client_for(account).get(url)

    assert response.status_code == 200
    assert "Revert" not in response.content.decode()
