"""Voiding a deposit recorded by mistake: the action (the balance, the stored DepositBalance,
the refusals), its confirmation page (methods, access, CSRF, other plans) and the plan page
that lists the voided deposit, struck through, with who voided it, when and why."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.catalog_seed import MICRONEEDLING
from clinic.formatting import format_date
from clinic.models import DepositRule
from planner import actions
from planner.actions import PlanActionError
from planner.models import DepositBalance, Plan, PlanStatus
from planner.signing import actions as signing
from planner.signing.models import Deposit
from tests.conftest import user_with_role
from tests.factories.planner import make_plan
from tests.helpers import assert_derived_rows_kept, sign_as_patient, two_users_one_stale
from tests.security.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted_plan(presented_plan, front_desk):
    """Accepted by the patient, who was asked a 100 deposit (the clinic's fixed rule)."""
    DepositRule.objects.create(kind="fixed", amount=Decimal("100"))
    sign_as_patient(presented_plan, staff=front_desk)
    presented_plan.refresh_from_db()
    return presented_plan


def record(plan, user, amount="100", reference="R-1"):
    plan.refresh_from_db()
    return signing.deposit_record(
        plan=plan,
        amount=Decimal(amount),
        received_on=timezone.localdate(),
        method="card",
        reference=reference,
        user=user,
        expected_version=plan.version,
    )


@pytest.fixture
def deposit(accepted_plan, front_desk):
    return record(accepted_plan, front_desk)


def void(deposit, user, reason="Wrong amount typed", version=None):
    plan = Plan.objects.get(pk=deposit.plan_id)
    deposit.plan = plan
    return signing.deposit_void(
        deposit=deposit,
        reason=reason,
        user=user,
        expected_version=plan.version if version is None else version,
    )


def balance(plan):
    """(received, owed) as the day board reads them."""
    row = DepositBalance.objects.values_list("received", "owed_since").get(plan=plan)
    return row[0], row[1] is not None


def void_url(deposit):
    return reverse("plan-deposit-void", args=[deposit.plan_id, deposit.pk])


def state(deposit):
    """What a refused void must leave as it was."""
    return (
        Deposit.objects.values_list("voided_at", "voided_by", "void_reason").get(pk=deposit.pk),
        Plan.objects.values_list("version", flat=True).get(pk=deposit.plan_id),
        balance(deposit.plan_id),
    )


# --- the action ---------------------------------------------------------------------------


def test_voiding_takes_the_deposit_out_of_what_was_received(deposit, accepted_plan, front_desk):
    assert balance(accepted_plan) == (Decimal("100"), False)  # paid in full

    void(deposit, front_desk, reason="  Recorded on the wrong plan  ")

    kept = Deposit.objects.get(pk=deposit.pk)  # never deleted
    assert kept.voided_by == front_desk and kept.voided_at is not None
    assert kept.void_reason == "Recorded on the wrong plan"
    assert balance(accepted_plan) == (Decimal("0"), True)  # owed again, on the day board
    assert_derived_rows_kept()


def test_only_the_voided_deposit_stops_counting(deposit, accepted_plan, front_desk):
    record(accepted_plan, front_desk, amount="40", reference="R-2")
    void(deposit, front_desk)

    assert balance(accepted_plan) == (Decimal("40"), True)
    assert_derived_rows_kept()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", signing.VOID_REASON_NEEDED),
        ("   ", signing.VOID_REASON_NEEDED),
        ("x" * 201, "Keep the reason to 200 characters or fewer (it has 201)."),
    ],
)
def test_a_void_needs_a_short_reason(deposit, front_desk, reason, message):
    before = state(deposit)

    with pytest.raises(PlanActionError) as refused:
        void(deposit, front_desk, reason=reason)

    assert str(refused.value) == message
    assert state(deposit) == before


def test_a_reason_of_200_characters_is_kept(deposit, front_desk):
    void(deposit, front_desk, reason="x" * 200)
    assert Deposit.objects.get(pk=deposit.pk).void_reason == "x" * 200


def test_a_deposit_is_voided_once(deposit, front_desk, clinician):
    void(deposit, front_desk)
    before = state(deposit)

    with pytest.raises(PlanActionError) as refused:
        void(Deposit.objects.get(pk=deposit.pk), clinician, reason="Again")

    assert str(refused.value) == signing.DEPOSIT_ALREADY_VOIDED
    assert state(deposit) == before  # still voided by the first, with the first reason


def test_a_void_from_a_stale_page_is_refused(deposit, accepted_plan, front_desk):
    refused = two_users_one_stale(
        read=lambda: Plan.objects.get(pk=accepted_plan.pk).version,
        other_write=lambda: record(accepted_plan, front_desk, amount="5", reference="R-2"),
        stale_write=lambda version: void(deposit, front_desk, version=version),
        state=lambda: state(deposit),
    )
    assert isinstance(refused, PlanActionError)
    assert str(refused) == signing.STALE_DEPOSIT_VOID
    assert Deposit.objects.get(pk=deposit.pk).voided_at is None


def test_the_database_keeps_a_void_whole(deposit):
    """The backstop: voided with no reason or no one who voided it cannot be stored."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Deposit.objects.filter(pk=deposit.pk).update(voided_at=timezone.now())


# --- the confirmation page ---------------------------------------------------------------


def test_the_page_shows_the_deposit_and_asks_why(desk_client, deposit, accepted_plan):
    response = desk_client.get(void_url(deposit))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Void a deposit of USD 100</h1>" in html
    assert format_date(deposit.received_on) in html
    assert "Card (at the clinic&#x27;s terminal)" in html and "R-1" in html
    assert '<label for="id_reason">Reason</label>' in html
    assert 'name="reason" maxlength="200" required' in html
    assert f'<input type="hidden" name="version" value="{accepted_plan.version}"' in html


def test_voiding_on_the_page_returns_to_the_plan(desk_client, deposit, accepted_plan, front_desk):
    accepted_plan.refresh_from_db()

    response = desk_client.post(
        void_url(deposit),
        {"version": accepted_plan.version, "reason": "Wrong amount typed"},
        follow=True,
    )

    assert response.redirect_chain == [(accepted_plan.get_absolute_url(), 302)]
    html = response.content.decode()
    assert "Deposit voided: it no longer counts as received." in html
    assert Deposit.objects.get(pk=deposit.pk).voided_by == front_desk
    assert balance(accepted_plan) == (Decimal("0"), True)


@pytest.mark.parametrize(
    ("reason", "message"),
    [("  ", signing.VOID_REASON_NEEDED), ("y" * 250, "it has 250")],
)
def test_the_page_refuses_a_missing_or_long_reason(desk_client, deposit, reason, message):
    plan = Plan.objects.get(pk=deposit.plan_id)
    before = state(deposit)

    response = desk_client.post(void_url(deposit), {"version": plan.version, "reason": reason})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert state(deposit) == before


def test_the_page_refuses_a_stale_version(desk_client, deposit, accepted_plan, front_desk):
    version = Plan.objects.get(pk=accepted_plan.pk).version
    record(accepted_plan, front_desk, amount="5", reference="R-2")
    before = state(deposit)

    response = desk_client.post(void_url(deposit), {"version": version, "reason": "Typo"})

    assert response.status_code == 400
    assert escape(signing.STALE_DEPOSIT_VOID) in response.content.decode()
    assert state(deposit) == before


def test_the_page_without_a_version_says_to_read_the_plan_again(desk_client, deposit):
    before = state(deposit)

    response = desk_client.post(void_url(deposit), {"reason": "Typo"})

    assert response.status_code == 400
    assert escape(signing.STALE_DEPOSIT_VOID) in response.content.decode()
    assert state(deposit) == before


def test_the_page_of_a_voided_deposit_says_so(desk_client, deposit, front_desk):
    void(deposit, front_desk)

    html = desk_client.get(void_url(deposit)).content.decode()

    assert "This deposit was already voided on" in html
    assert 'name="reason"' not in html


def test_a_deposit_of_another_plan_is_not_found(desk_client, deposit, catalog, patient):
    other = make_plan(patient, catalog[MICRONEEDLING], title="Other plan")
    url = reverse("plan-deposit-void", args=[other.pk, deposit.pk])

    assert desk_client.get(url).status_code == 404
    assert desk_client.post(url, {"version": other.version, "reason": "x"}).status_code == 404
    assert Deposit.objects.get(pk=deposit.pk).voided_at is None


def test_a_role_that_cannot_record_deposits_cannot_void_them(client, deposit):
    """A user who may read the plan but not record deposits (planner.record_deposit)."""
    reader = user_with_role(None, username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_plan"))
    client.force_login(reader)
    assert client.get(deposit.plan.get_absolute_url()).status_code == 200
    plan_page = client.get(deposit.plan.get_absolute_url()).content.decode()

    assert void_url(deposit) not in plan_page
    assert client.get(void_url(deposit)).status_code == 403
    response = client.post(void_url(deposit), {"version": 99, "reason": "x"})
    assert response.status_code == 403
    assert Deposit.objects.get(pk=deposit.pk).voided_at is None


def test_no_role_is_refused_and_anonymous_sent_to_login(client, no_role_user, deposit):
    response = Client().get(void_url(deposit))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Client().post(void_url(deposit), {"reason": "x"}).status_code == 302

    client.force_login(no_role_user)
    assert client.get(void_url(deposit)).status_code == 403
    assert Deposit.objects.get(pk=deposit.pk).voided_at is None


def test_voiding_needs_the_csrf_token(deposit, front_desk):
    client = logged_in(front_desk, enforce_csrf_checks=True)
    page = client.get(void_url(deposit)).content.decode()
    version = Plan.objects.get(pk=deposit.plan_id).version
    data = {"version": version, "reason": "Typo"}

    assert client.post(void_url(deposit), data).status_code == 403
    assert Deposit.objects.get(pk=deposit.pk).voided_at is None

    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post(void_url(deposit), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Deposit.objects.get(pk=deposit.pk).voided_at is not None


def test_the_page_refuses_other_methods(desk_client, deposit):
    assert desk_client.put(void_url(deposit)).status_code == 405


# --- the plan page ------------------------------------------------------------------------


def test_the_plan_page_strikes_a_voided_deposit_through(
    desk_client, deposit, accepted_plan, front_desk
):
    front_desk.first_name, front_desk.last_name = "Dana", "Desk"
    front_desk.save()
    record(accepted_plan, front_desk, amount="40", reference="R-2")
    hostile = '<script>alert("x")</script> & typo'
    void(deposit, front_desk, reason=hostile)

    html = desk_client.get(accepted_plan.get_absolute_url()).content.decode()

    today = format_date(timezone.localdate())
    assert "<del>USD 100</del> (voided)" in html
    assert f"Voided on {today} by Dana Desk: {escape(hostile)}" in html
    assert "<script>alert" not in html
    assert "Received USD 40 (voided deposits not counted);" in html
    assert "balance USD 1,960–3,960" in html
    assert void_url(deposit) not in html  # voided once
    live = Deposit.objects.get(reference="R-2")
    assert void_url(live) in html


def test_the_plan_page_queries_do_not_grow_with_voided_deposits(
    desk_client,
    accepted_plan,
    front_desk,
    clinician,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    """The voided deposits' voider comes in the deposits' one query (a join), not one
    query per row."""
    first = record(accepted_plan, front_desk)
    url = accepted_plan.get_absolute_url()
    desk_client.get(url)  # the results panel is kept on the first view of a version
    # As bounded in test_staff_side.test_plan_page_queries_do_not_grow_with_links_and_deposits.
    with django_assert_max_num_queries(13) as none_voided:
        desk_client.get(url)
    none_voided = len(none_voided)  # now: the next request empties the connection's log

    void(first, front_desk)
    for n in range(4):
        deposit = record(accepted_plan, front_desk, reference=f"R-{n + 2}")
        void(deposit, clinician, reason=f"Typo {n}")
    desk_client.get(url)
    with django_assert_num_queries(none_voided):
        html = desk_client.get(url).content.decode()
    assert html.count("(voided)") == 5


def test_the_admin_shows_a_void_and_stays_read_only(admin_client_clinic, deposit, front_desk):
    void(deposit, front_desk, reason="Wrong plan")

    listing = admin_client_clinic.get(reverse("admin:planner_deposit_changelist"))
    assert listing.status_code == 200 and "Wrong plan" in listing.content.decode()
    change = reverse("admin:planner_deposit_change", args=[deposit.pk])
    page = admin_client_clinic.get(change).content.decode()
    assert "Void reason" in page and 'name="void_reason"' not in page  # shown, not editable
    assert admin_client_clinic.post(change, {"void_reason": ""}).status_code == 403
    assert Deposit.objects.get(pk=deposit.pk).void_reason == "Wrong plan"


def test_a_plan_moving_on_after_a_void_still_balances(deposit, accepted_plan, front_desk):
    """Cancelling after a void: nothing owed any more, and still what a rebuild gives."""
    void(deposit, front_desk)
    accepted_plan.refresh_from_db()
    actions.plan_transition(
        plan=accepted_plan,
        to_status=PlanStatus.CANCELLED,
        user=front_desk,
        expected_version=accepted_plan.version,
    )
    assert balance(accepted_plan) == (Decimal("0"), False)
    assert_derived_rows_kept()
