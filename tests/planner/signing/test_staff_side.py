"""The staff side of signing: creating, emailing, revoking and kiosk links, the signed
record's PDF, deposits; permissions, CSRF and stale writes for each."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from clinic.catalog_seed import LASER, MICRONEEDLING
from clinic.models import ConsentDocument, DepositRule
from planner import actions
from planner.actions import PlanActionError
from planner.models import PlanStatus
from planner.signing import actions as signing
from planner.signing.models import Deposit, ShareLink, SignedRecord, SigningEvent
from planner.signing.tokens import token_hash
from planner.signing.views import EMAIL_FAILED
from tests.factories.planner import make_plan
from tests.helpers import sign_as_patient, two_users_one_stale
from tests.security.conftest import logged_in

from .conftest import open_link
from .smtp import body_of, start_smtp

pytestmark = pytest.mark.django_db


def share(client, plan, **extra):
    return client.post(reverse("plan-share", args=[plan.pk]), {"version": plan.version, **extra})


def link_url_on(response) -> str:
    return re.search(r'id="share-url">([^<]+)<', response.content.decode())[1]


# --- links ------------------------------------------------------------------------------------


def test_staff_create_a_link_shown_once_with_a_qr_code(desk_client, presented_plan, settings):
    settings.SIGNING_LINK_DAYS = 3
    response = share(desk_client, presented_plan)

    assert response.status_code == 200
    url = link_url_on(response)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43
    link = ShareLink.objects.get()
    assert link.token_hash == token_hash(token)
    assert token not in str(ShareLink.objects.values().get())  # only the hash is stored
    assert link.plan_version == presented_plan.version
    assert abs((link.expires_at - timezone.now()).total_seconds() - 3 * 86400) < 60
    assert "<svg" in response.content.decode()
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.CREATED, link=link).exists()


def test_a_draft_plan_cannot_be_shared(desk_client, catalog, patient):
    from clinic.catalog_seed import MICRONEEDLING
    from tests.factories.planner import make_plan

    plan = make_plan(patient, catalog[MICRONEEDLING])
    response = share(desk_client, plan)
    assert response.status_code == 302
    assert not ShareLink.objects.exists()
    assert signing.LINK_NEEDS_PRESENTED in desk_client.get(response.url).content.decode()


def test_a_link_needs_the_patients_date_of_birth(presented_plan, front_desk):
    presented_plan.patient.date_of_birth = None
    presented_plan.patient.save()
    with pytest.raises(PlanActionError, match="date of birth"):
        signing.link_create(
            plan=presented_plan, user=front_desk, expected_version=presented_plan.version
        )


def test_a_link_from_a_stale_page_is_not_created(presented_plan, front_desk, clinician):
    result = two_users_one_stale(
        read=lambda: presented_plan.version,
        other_write=lambda: actions.plan_transition(
            plan=presented_plan,
            to_status=PlanStatus.DRAFT,
            user=clinician,
            expected_version=presented_plan.version,
        ),
        stale_write=lambda version: signing.link_create(
            plan=presented_plan, user=front_desk, expected_version=version
        ),
        state=lambda: ShareLink.objects.count(),
    )
    assert str(result) == signing.LINK_STALE


def test_revoking_twice_is_told_once(desk_client, link_token, presented_plan, front_desk):
    link, _token = link_token
    url = reverse("plan-share-revoke", args=[presented_plan.pk, link.pk])
    result = two_users_one_stale(
        read=lambda: ShareLink.objects.get(pk=link.pk),
        other_write=lambda: desk_client.post(url),
        stale_write=lambda seen: signing.link_revoke(link=seen, user=front_desk),
        state=lambda: ShareLink.objects.values_list("revoked_at", flat=True).get(),
    )
    assert str(result) == signing.LINK_ALREADY_CLOSED
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.REVOKED).count() == 1


def test_a_link_of_another_plan_is_not_found(desk_client, link_token, catalog, patient):
    from tests.factories.planner import make_plan

    link, _token = link_token
    other = make_plan(patient)
    response = desk_client.post(reverse("plan-share-revoke", args=[other.pk, link.pk]))
    assert response.status_code == 404


def test_plan_page_shows_links_and_sharing_buttons(desk_client, link_token, presented_plan):
    html = desk_client.get(presented_plan.get_absolute_url()).content.decode()
    assert "Create a signing link" in html
    assert "Sign on this tablet" in html
    assert "live" in html and "Revoke" in html
    assert "Not signed yet" in html


# --- kiosk ------------------------------------------------------------------------------------


def test_kiosk_signs_staff_out_and_opens_the_patient_pages(presented_plan, front_desk):
    client = logged_in(front_desk)
    response = client.post(
        reverse("plan-kiosk", args=[presented_plan.pk]), {"version": presented_plan.version}
    )

    assert response.status_code == 302
    assert response.url.startswith("/p/")
    assert SESSION_KEY not in client.session  # back to staff only by signing in again
    token = response.url.split("/")[2]
    link = ShareLink.objects.get(token_hash=token_hash(token))
    assert link.kiosk
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Log out" not in page.content.decode()  # nothing of the staff app
    assert client.get(reverse("plan-list")).status_code == 302  # staff pages need a login


# --- email ------------------------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    controller, handler = start_smtp()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.CLINIC_NAME = "Bright Skin Clinic"
    yield handler
    controller.stop()


def test_link_emailed_through_a_real_smtp_server(client, desk_client, presented_plan, smtp):
    response = share(desk_client, presented_plan, send="email")

    assert "The link was emailed to" in response.content.decode()
    (message,) = smtp.messages
    assert message["To"] == presented_plan.patient.email
    assert "Bright Skin Clinic" in message["Subject"]
    body = body_of(message)
    url = link_url_on(response)
    assert url in body
    assert "works until" in body
    assert "Glow plan" in body
    for detail in ("Microneedling", "USD", "exosome", presented_plan.patient.full_name):
        assert detail not in body  # nothing of the plan beyond its title
    # The patient opens the link from the message.
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert open_link(client, token).status_code == 302
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.EMAILED).exists()


def test_failed_send_is_shown_and_nothing_else_changes(desk_client, presented_plan, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    from .smtp import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there

    version = presented_plan.version
    response = share(desk_client, presented_plan, send="email")

    assert response.status_code == 302
    page = desk_client.get(response["Location"]).content.decode()
    assert escape(EMAIL_FAILED) in page
    presented_plan.refresh_from_db()
    assert (presented_plan.status, presented_plan.version) == (PlanStatus.PRESENTED, version)
    assert not ShareLink.objects.exists()  # no link the patient was never sent
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.EMAIL_FAILED).exists()


# --- the signed record's PDF ------------------------------------------------------------------


@pytest.mark.slow
def test_signed_record_pdf_is_stored_and_never_changes(desk_client, presented_plan, front_desk):
    record = sign_as_patient(presented_plan, staff=front_desk, name="Ada Q. Example")
    url = reverse("plan-signed-pdf", args=[presented_plan.pk, record.pk])

    first = desk_client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(first.content)).pages)
    assert "Ada Q. Example" in text
    assert "Consent to microneedling or laser" in text
    assert record.shown_hash in text.replace("\n", "")
    assert "203.0.113.9" in text

    # The consent's wording is changed in the admin afterwards: the record does not move.
    ConsentDocument.objects.update(text="Changed wording.")
    second = desk_client.get(url)
    assert second.content == first.content
    assert bytes(SignedRecord.objects.get().pdf) == first.content


def test_signed_record_pdf_needs_the_plans_permission(
    client, no_role_user, presented_plan, front_desk
):
    record = sign_as_patient(presented_plan, staff=front_desk)
    client.force_login(no_role_user)
    url = reverse("plan-signed-pdf", args=[presented_plan.pk, record.pk])
    assert client.get(url).status_code == 403


def test_a_signed_consent_is_fixed_in_the_admin(admin_client_clinic, presented_plan, front_desk):
    sign_as_patient(presented_plan, staff=front_desk)
    consent = ConsentDocument.objects.get(slug="topical-exosome-procedure")
    url = reverse("admin:clinic_consentdocument_change", args=[consent.pk])

    html = admin_client_clinic.get(url).content.decode()

    assert 'name="text"' not in html
    assert admin_client_clinic.get(reverse("admin:clinic_consentdocument_add")).status_code == 200


# --- deposits ---------------------------------------------------------------------------------


@pytest.fixture
def accepted_plan(presented_plan, front_desk):
    sign_as_patient(presented_plan, staff=front_desk)
    presented_plan.refresh_from_db()
    return presented_plan


def deposit_data(plan, **extra):
    return {
        "version": plan.version,
        "amount": "250.00",
        "received_on": timezone.localdate().isoformat(),
        "method": "card",
        "reference": "R-1001",
        **extra,
    }


def test_deposit_rule_shown_to_the_patient(client, presented_plan, front_desk):
    DepositRule.objects.create(kind="percent", percent=Decimal("10"))
    _link, token = signing.link_create(
        plan=presented_plan, user=front_desk, expected_version=presented_plan.version
    )
    open_link(client, token)
    html = client.get(reverse("sign-plan", args=[token])).content.decode()
    assert "A deposit of <strong>USD 200</strong> is due" in html  # 10 % of 2,000


def test_staff_record_a_deposit_and_see_the_balance(desk_client, accepted_plan):
    response = desk_client.post(
        reverse("plan-deposit", args=[accepted_plan.pk]), deposit_data(accepted_plan)
    )
    assert response.status_code == 302
    deposit = Deposit.objects.get()
    assert (deposit.amount, deposit.method, deposit.reference) == (
        Decimal("250.00"),
        "card",
        "R-1001",
    )
    html = desk_client.get(accepted_plan.get_absolute_url()).content.decode()
    assert "balance USD 1,750–3,750" in html


def test_a_deposit_from_a_stale_page_is_not_recorded(desk_client, accepted_plan):
    url = reverse("plan-deposit", args=[accepted_plan.pk])
    response = two_users_one_stale(
        read=lambda: deposit_data(accepted_plan),
        other_write=lambda: desk_client.post(url, deposit_data(accepted_plan)),
        stale_write=lambda data: desk_client.post(url, data, follow=True),
        state=lambda: Deposit.objects.count(),
    )
    assert signing.STALE_DEPOSIT in response.content.decode()


def test_no_deposit_on_a_presented_plan(desk_client, presented_plan):
    response = desk_client.post(
        reverse("plan-deposit", args=[presented_plan.pk]), deposit_data(presented_plan), follow=True
    )
    assert signing.DEPOSIT_NEEDS_ACCEPTED in response.content.decode()
    assert not Deposit.objects.exists()


def test_a_deposit_dated_in_another_century_is_refused(desk_client, accepted_plan):
    """A typo'd year (1900 for 2026) passed: the deposit list then read "1 Jan 1900"."""
    from clinic.bounds import DATE_OUT_OF_RANGE, EARLIEST_RECORD
    from clinic.formatting import format_date

    response = desk_client.post(
        reverse("plan-deposit", args=[accepted_plan.pk]),
        deposit_data(accepted_plan, received_on="1900-01-01"),
        follow=True,
    )
    message = DATE_OUT_OF_RANGE.format(
        earliest=format_date(EARLIEST_RECORD), latest=format_date(timezone.localdate())
    )
    assert escape(message) in response.content.decode()
    assert not Deposit.objects.exists()


@pytest.mark.parametrize(("amount", "message"), [("0", "Enter an amount above zero.")])
def test_deposit_amount_validated(desk_client, accepted_plan, amount, message):
    response = desk_client.post(
        reverse("plan-deposit", args=[accepted_plan.pk]),
        deposit_data(accepted_plan, amount=amount),
        follow=True,
    )
    assert message in response.content.decode()
    assert not Deposit.objects.exists()


# --- access and CSRF --------------------------------------------------------------------------


STAFF_POSTS = ["plan-share", "plan-kiosk", "plan-deposit"]


@pytest.mark.parametrize("name", STAFF_POSTS)
def test_staff_posts_refuse_a_user_without_a_role(client, no_role_user, presented_plan, name):
    client.force_login(no_role_user)
    assert client.post(reverse(name, args=[presented_plan.pk]), {}).status_code == 403


@pytest.mark.parametrize("name", STAFF_POSTS)
def test_staff_posts_refuse_get(desk_client, presented_plan, name):
    assert desk_client.get(reverse(name, args=[presented_plan.pk])).status_code == 405


@pytest.mark.parametrize("name", STAFF_POSTS)
def test_staff_posts_need_the_csrf_token(presented_plan, front_desk, name):
    client = logged_in(front_desk, enforce_csrf_checks=True)
    client.get(presented_plan.get_absolute_url())
    response = client.post(reverse(name, args=[presented_plan.pk]), {"version": 2})
    assert response.status_code == 403
    assert not ShareLink.objects.exists()


def test_unknown_plan_is_not_found(desk_client):
    assert desk_client.post(reverse("plan-share", args=[99999]), {"version": 1}).status_code == 404
    assert Client().post(reverse("plan-share", args=[1])).status_code == 302  # to login


def test_plan_page_queries_do_not_grow_with_links_and_deposits(
    desk_client, accepted_plan, front_desk, django_assert_max_num_queries, django_assert_num_queries
):
    def record(n):
        accepted_plan.refresh_from_db()
        signing.deposit_record(
            plan=accepted_plan,
            amount=Decimal("10"),
            received_on=timezone.localdate(),
            method="cash",
            reference=f"R{n}",
            user=front_desk,
            expected_version=accepted_plan.version,
        )

    record(0)
    # Each deposit changes the plan's version, so its first view renders the results panel
    # and keeps it (planner.fragments); the views counted are the next ones.
    desk_client.get(accepted_plan.get_absolute_url())
    # 11 for the plan page with its signing section and its kept results panel, +2 for the
    # session records (delivery).
    with django_assert_max_num_queries(13) as few:
        desk_client.get(accepted_plan.get_absolute_url())
    few = len(few)  # counted now: the next request empties the connection's query log
    for n in range(1, 6):
        record(n)
    desk_client.get(accepted_plan.get_absolute_url())
    with django_assert_num_queries(few):
        html = desk_client.get(accepted_plan.get_absolute_url()).content.decode()
    assert "R5" in html


def test_a_link_never_outlives_the_quote(presented_plan, front_desk, settings):
    settings.QUOTE_VALID_DAYS = 2
    settings.SIGNING_LINK_DAYS = 14
    link, _token = signing.link_create(
        plan=presented_plan, user=front_desk, expected_version=presented_plan.version
    )
    last_day = timezone.localdate(presented_plan.quoted_at) + timedelta(days=2)
    assert timezone.localtime(link.expires_at).date() == last_day


def test_plan_page_polls_while_waiting_and_refreshes_once_signed(
    desk_client, link_token, presented_plan, front_desk
):
    html = desk_client.get(presented_plan.get_absolute_url()).content.decode()
    status_url = reverse("plan-signing-status", args=[presented_plan.pk])
    status_url += f"?version={presented_plan.version}"
    assert f'hx-get="{status_url}"' in html

    waiting = desk_client.get(status_url, headers={"HX-Request": "true"})
    assert waiting.status_code == 204

    link, _token = link_token
    signing.link_revoke(link=link, user=front_desk)  # not a plan change: still waiting
    assert desk_client.get(status_url).status_code == 204
    sign_as_patient(presented_plan, staff=front_desk)
    signed = desk_client.get(status_url, headers={"HX-Request": "true"})
    assert signed.status_code == 200
    assert signed["HX-Refresh"] == "true"


def test_signing_status_needs_the_plans_permission(client, no_role_user, presented_plan):
    client.force_login(no_role_user)
    url = reverse("plan-signing-status", args=[presented_plan.pk])
    assert client.get(url).status_code == 403


def _balance_after_a_deposit(client, plan, front_desk):
    """Present `plan`, have the patient sign it, record a 250 deposit: the plan and the
    text of its balance line."""
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    sign_as_patient(plan, staff=front_desk)
    plan.refresh_from_db()
    client.post(reverse("plan-deposit", args=[plan.pk]), deposit_data(plan))
    html = client.get(plan.get_absolute_url()).content.decode()
    return plan, re.search(r'<p id="balance">(.*?)</p>', html, re.S).group(1)


def test_a_deposit_on_a_plan_with_no_price_is_shown_as_received(
    desk_client, catalog, patient, front_desk
):
    """A plan whose treatments have no price yet (fractional laser has no documented one)
    still takes deposits: what came in is a sum of money in the clinic's currency, never
    "price not set", and the balance is not known rather than a negative figure."""
    plan, balance = _balance_after_a_deposit(
        desk_client, make_plan(patient, catalog[LASER], title="Laser plan"), front_desk
    )
    assert plan.quote["currency"] is None  # nothing in it was priced
    assert "Received USD 250" in balance
    assert "balance not known: no session of this plan has a price" in balance


def test_the_balance_of_a_partly_priced_plan_says_it_leaves_sessions_out(
    desk_client, catalog, patient, front_desk
):
    """A quote with an unpriced course totals only its priced ones: the balance worked out
    from it must say it leaves those sessions out, or staff quote it as what is left to pay."""
    plan, balance = _balance_after_a_deposit(
        desk_client,
        make_plan(patient, catalog[MICRONEEDLING], catalog[LASER], title="Mixed plan"),
        front_desk,
    )
    assert plan.quote["complete"] is False
    assert "balance USD 1,750–3,750" in balance
    assert "sessions with no price are not in it" in balance


def test_no_signing_link_for_a_quote_that_ran_out(desk_client, presented_plan, settings):
    """The link's life ends with the quote's last day: past it, the link was created already
    expired ("opens the plan ... until 20 Nov", ten days ago) and never opened. Staff are
    told to reprice instead, and no link is made."""
    from clinic.formatting import format_date
    from planner.models import Plan

    Plan.objects.filter(pk=presented_plan.pk).update(
        quoted_at=timezone.now() - timedelta(days=settings.QUOTE_VALID_DAYS + 10)
    )
    presented_plan.refresh_from_db()

    response = desk_client.post(
        reverse("plan-share", args=[presented_plan.pk]),
        {"version": presented_plan.version},
        follow=True,
    )

    message = signing.LINK_QUOTE_EXPIRED.format(day=format_date(presented_plan.quote_valid_until))
    assert escape(message) in response.content.decode()
    assert not ShareLink.objects.filter(plan=presented_plan).exists()
