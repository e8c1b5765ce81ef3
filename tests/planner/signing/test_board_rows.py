"""What the signing actions keep for the day board: each link's count and time of opening,
each plan's live-link expiry, and each deposit asked and paid (DepositBalance). After each
action they are also what a full rebuild from the records gives
(tests.helpers.assert_derived_rows_kept)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.models import DepositRule
from planner import actions
from planner.models import DepositBalance, Plan, PlanStatus
from planner.signing import actions as signing
from planner.signing.models import MAX_WRONG_CHECKS, ShareLink, SigningEvent
from tests.helpers import assert_derived_rows_kept, sign_as_patient

from .conftest import open_link

pytestmark = pytest.mark.django_db
WRONG_DOB = date(1999, 1, 1)


def live_link_expiry(plan):
    return Plan.objects.values_list("link_expires_at", flat=True).get(pk=plan.pk)


def balance(plan):
    """(asked, received, currency, owed) of the plan's deposit, or None: none asked."""
    row = (
        DepositBalance.objects.filter(plan=plan)
        .values_list("asked", "received", "currency", "owed_since")
        .first()
    )
    return row and (*row[:3], row[3] is not None)


def new_link(plan, staff, **extra):
    plan.refresh_from_db()
    link, token = signing.link_create(plan=plan, user=staff, expected_version=plan.version, **extra)
    return link, token


# Opening ------------------------------------------------------------------------------------


def test_each_opening_counts_on_the_link(client, link_token):
    link, token = link_token

    client.get(reverse("sign-link", args=[token]))
    client.get(reverse("sign-link", args=[token]))
    open_link(client, token)
    client.get(reverse("sign-plan", args=[token]))

    link.refresh_from_db()
    last_event = SigningEvent.objects.filter(link=link, kind=SigningEvent.Kind.OPENED).latest("at")
    assert (link.times_opened, link.last_opened_at) == (3, last_event.at)
    assert_derived_rows_kept()


def test_an_unknown_token_counts_on_no_link(client, link_token):
    client.get(reverse("sign-link", args=["not-a-token-" * 4]))

    assert not ShareLink.objects.filter(times_opened__gt=0).exists()
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.UNKNOWN).count() == 1


# The plan's live-link expiry ----------------------------------------------------------------


def test_the_live_link_expiry_is_the_last_open_links(presented_plan, front_desk, settings):
    assert live_link_expiry(presented_plan) is None

    settings.SIGNING_LINK_DAYS = 3
    early, _ = new_link(presented_plan, front_desk)
    assert live_link_expiry(presented_plan) == early.expires_at

    settings.SIGNING_LINK_DAYS = 10
    late, _ = new_link(presented_plan, front_desk, kiosk=True)
    assert live_link_expiry(presented_plan) == late.expires_at

    signing.link_revoke(link=late, user=front_desk)
    assert live_link_expiry(presented_plan) == early.expires_at

    signing.link_revoke(link=early, user=front_desk)
    assert live_link_expiry(presented_plan) is None
    assert_derived_rows_kept()


def test_a_locked_link_is_no_longer_live(presented_plan, front_desk):
    link, _ = new_link(presented_plan, front_desk)

    for _ in range(MAX_WRONG_CHECKS):
        signing.link_check(link=link, date_of_birth=WRONG_DOB)

    assert live_link_expiry(presented_plan) is None
    assert_derived_rows_kept()


def test_a_new_version_of_the_plan_closes_its_links(presented_plan, front_desk):
    new_link(presented_plan, front_desk)
    presented_plan.refresh_from_db()

    actions.plan_transition(
        plan=presented_plan,
        to_status=PlanStatus.DRAFT,
        user=front_desk,
        expected_version=presented_plan.version,
    )

    assert live_link_expiry(presented_plan) is None
    assert ShareLink.objects.get().state(plan_version=presented_plan.version) == "changed"
    assert_derived_rows_kept()


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_a_decision_uses_the_link(presented_plan, front_desk, decision):
    if decision == "accept":
        sign_as_patient(presented_plan, staff=front_desk)
    else:
        link, _ = new_link(presented_plan, front_desk)
        signing.plan_decline(
            link=link, reason="", expected_hash=_shown(presented_plan), summary_html="<p>s</p>"
        )

    assert live_link_expiry(presented_plan) is None
    assert_derived_rows_kept()


def _shown(plan):
    from planner.signing.selectors import (
        deposit_due,
        required_consents,
        shown_hash,
        shown_payload,
    )

    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)
    consents = required_consents(plan=plan)
    return shown_hash(shown_payload(plan=plan, consents=consents, deposit=deposit_due(plan=plan)))


# Deposits still owed ------------------------------------------------------------------------


@pytest.fixture
def deposit_rule(db):
    return DepositRule.objects.create(kind="fixed", amount=Decimal("100"))


def record_deposit(plan, amount, user):
    plan.refresh_from_db()
    return signing.deposit_record(
        plan=plan,
        amount=Decimal(amount),
        received_on=date.today(),
        method="cash",
        reference="",
        user=user,
        expected_version=plan.version,
    )


def test_a_deposit_is_owed_from_the_signature_until_paid_in_full(
    presented_plan, front_desk, deposit_rule, desk_client
):
    sign_as_patient(presented_plan, staff=front_desk)
    assert balance(presented_plan) == (Decimal("100"), Decimal("0"), "USD", True)
    assert_derived_rows_kept()

    record_deposit(presented_plan, "40", front_desk)
    assert balance(presented_plan) == (Decimal("100"), Decimal("40"), "USD", True)
    board = desk_client.get(reverse("day-board")).content.decode()
    assert "<strong>USD 60</strong>" in board
    assert_derived_rows_kept()

    record_deposit(presented_plan, "60", front_desk)
    assert balance(presented_plan) == (Decimal("100"), Decimal("100"), "USD", False)
    board = desk_client.get(reverse("day-board")).content.decode()
    assert "Paid (USD 100)" in board and 'id="deposits"' in board
    assert "every patient asked for one has paid it in full" in board
    assert_derived_rows_kept()


def test_nothing_is_owed_without_a_deposit_rule(presented_plan, front_desk):
    sign_as_patient(presented_plan, staff=front_desk)

    assert balance(presented_plan) is None
    assert_derived_rows_kept()


def test_cancelling_an_accepted_plan_leaves_nothing_owed(presented_plan, front_desk, deposit_rule):
    sign_as_patient(presented_plan, staff=front_desk)
    presented_plan.refresh_from_db()

    actions.plan_transition(
        plan=presented_plan,
        to_status=PlanStatus.CANCELLED,
        user=front_desk,
        expected_version=presented_plan.version,
    )

    assert balance(presented_plan) == (Decimal("100"), Decimal("0"), "USD", False)
    assert_derived_rows_kept()


def test_a_voided_deposit_is_owed_again(presented_plan, front_desk, deposit_rule, desk_client):
    """A deposit recorded by mistake and voided no longer pays what was asked: the plan is
    back on the board's deposits still due, as a rebuild from the records says."""
    sign_as_patient(presented_plan, staff=front_desk)
    wrong = record_deposit(presented_plan, "100", front_desk)
    record_deposit(presented_plan, "30", front_desk)
    assert balance(presented_plan) == (Decimal("100"), Decimal("130"), "USD", False)

    presented_plan.refresh_from_db()
    wrong.plan = presented_plan
    signing.deposit_void(
        deposit=wrong,
        reason="Wrong amount typed",
        user=front_desk,
        expected_version=presented_plan.version,
    )

    assert balance(presented_plan) == (Decimal("100"), Decimal("30"), "USD", True)
    board = desk_client.get(reverse("day-board")).content.decode()
    assert "<strong>USD 70</strong>" in board
    assert_derived_rows_kept()
