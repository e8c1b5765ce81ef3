"""What each list of the day board shows, and what it leaves out."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.formatting import format_date
from clinic.models import ConsentDocument, LotStatus, TreatmentKind
from planner.delivery.models import SessionStatus, TreatmentSession
from planner.models import Plan, PlanStatus
from tests.factories.clinic import ProductLotFactory, StorageCheckFactory
from tests.factories.planner import PatientFactory
from tests.planner.board import builders

pytestmark = pytest.mark.django_db
BOARD = reverse("day-board")


def section(html: str, name: str) -> str:
    """The HTML of one list of the board."""
    match = re.search(rf'<section class="board-list" id="{name}".*?</section>', html, re.S)
    assert match, name
    return match.group(0)


def board(client, **params) -> str:
    response = client.get(BOARD, params)
    assert response.status_code == 200
    return response.content.decode()


def plan_link(plan) -> str:
    return f'href="{reverse("plan-detail", args=[plan.pk])}'


# Sessions ----------------------------------------------------------------------------------


def test_sessions_from_today_to_seven_days_ahead_grouped_by_day(desk_client, front_desk, catalog):
    plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(0, 7, 8), title="Week plan")
    first, seventh, eighth = TreatmentSession.objects.filter(plan=plan).order_by("number")
    today = timezone.localdate()

    html = section(board(desk_client), "sessions")

    assert f"#session-{first.pk}" in html and f"#session-{seventh.pk}" in html
    assert f"#session-{eighth.pk}" not in html
    assert "Microneedling + topical exosome, session 1 of 3" in html
    assert f"{format_date(today)} (today)</caption>" in html
    assert format_date(today + timedelta(days=7)) in html
    assert first.planned_lot.lot_number in html
    assert "Nothing blocking" in html


def test_sessions_performed_cancelled_or_past_are_left_out(
    desk_client, front_desk, catalog, clinician
):
    plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(-1, 0, 1, 2))
    past, performed, cancelled, open_one = TreatmentSession.objects.filter(plan=plan).order_by(
        "number"
    )
    TreatmentSession.objects.filter(pk=performed.pk).update(
        status=SessionStatus.PERFORMED,
        performed_on=timezone.localdate(),
        performed_by=clinician,
        lot_used=performed.planned_lot,
    )
    TreatmentSession.objects.filter(pk=cancelled.pk).update(status=SessionStatus.CANCELLED)

    html = section(board(desk_client), "sessions")

    assert f"#session-{open_one.pk}" in html
    for gone in (past, performed, cancelled):
        assert f"#session-{gone.pk}" not in html


def test_no_sessions_says_where_sessions_come_from(desk_client):
    html = section(board(desk_client), "sessions")

    assert "No sessions planned from today to" in html
    assert "once a patient accepts a plan" in html


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (LotStatus.QUARANTINED, "it is quarantined"),
        (LotStatus.RECALLED, "it is recalled"),
        (LotStatus.EXPIRED, "it is expired"),
    ],
)
def test_a_lot_that_may_not_be_used_blocks_the_session(
    desk_client, front_desk, catalog, status, words
):
    plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(1,))
    lot = plan.courses.get().lot
    lot.status = status
    lot.save()

    html = section(board(desk_client), "sessions")

    assert 'class="blocked"' in html
    assert f"Lot {lot.lot_number} has not been released for use ({words})." in html


def test_a_lot_expiring_before_the_session_blocks_it(desk_client, front_desk, catalog):
    today = timezone.localdate()
    lot = ProductLotFactory(
        received_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=2),
        status=LotStatus.RELEASED,
    )
    builders.session_plan(catalog, staff=front_desk, days_ahead=(1, 4), lot=lot)

    html = section(board(desk_client), "sessions")

    expired = f"Lot {lot.lot_number} expired on {format_date(lot.expires_on)}"
    assert html.count(expired) == 1
    assert f"before the session date {format_date(today + timedelta(days=4))}" in html


def test_a_storage_excursion_blocks_the_session_until_reviewed(desk_client, front_desk, catalog):
    plan = builders.session_plan(catalog, staff=front_desk, days_ahead=(1,))
    lot = plan.courses.get().lot
    lot.product.storage_min_celsius, lot.product.storage_max_celsius = Decimal(2), Decimal(8)
    lot.product.save()
    yesterday = timezone.localdate() - timedelta(days=1)
    StorageCheckFactory(lot=lot, checked_on=yesterday, temperature_celsius=Decimal("12"))

    html = section(board(desk_client), "sessions")
    assert f"Lot {lot.lot_number} was stored at 12" in html
    assert "a clinician must review it" in html

    lot.storage_reviewed_through = yesterday
    lot.save()
    assert "Nothing blocking" in section(board(desk_client), "sessions")


def test_a_consent_the_patient_has_not_signed_blocks_the_session(desk_client, front_desk, catalog):
    builders.session_plan(catalog, staff=front_desk, days_ahead=(1,))
    ConsentDocument.objects.create(
        slug="microneedling-board-test",
        title="Microneedling consent",
        text="I agree.",
        treatment_kinds=[TreatmentKind.MICRONEEDLING],
    )

    html = section(board(desk_client), "sessions")

    assert "Consent not signed for this plan: Microneedling consent (version 1)." in html


# Quotes ------------------------------------------------------------------------------------


def test_quotes_waiting_oldest_first_with_age_and_expiry(desk_client, front_desk, settings):
    settings.QUOTE_VALID_DAYS = 30
    newer = builders.presented_plan(quoted_days=2, title="Newer quote")
    older = builders.presented_plan(quoted_days=40, title="Older quote")
    builders.link_for(newer, staff=front_desk, expires_in_days=5)
    accepted = builders.accepted_plan(staff=front_desk, title="Signed quote")
    declined = builders.presented_plan(title="Declined quote")
    Plan.objects.filter(pk=declined.pk).update(status=PlanStatus.DECLINED)
    today = timezone.localdate()

    html = section(board(desk_client), "waiting")

    assert html.index(plan_link(older)) < html.index(plan_link(newer))
    assert "Signed quote" not in html and "Declined quote" not in html
    assert plan_link(accepted) not in html
    assert "40 days" in html and "2 days" in html
    assert f"Expired {format_date(today - timedelta(days=10))}" in html
    assert format_date(today + timedelta(days=28)) in html
    assert f"Live until {format_date(today + timedelta(days=5))}" in html
    assert "No live link" in html


def test_quotes_and_links_expiring_within_seven_days(desk_client, front_desk, settings):
    settings.QUOTE_VALID_DAYS = 30
    quote_soon = builders.presented_plan(quoted_days=26, title="Quote runs out")
    link_soon = builders.presented_plan(quoted_days=2, title="Link runs out")
    builders.link_for(link_soon, staff=front_desk, expires_in_days=3)
    later = builders.presented_plan(quoted_days=2, title="Plenty of time")
    builders.link_for(later, staff=front_desk, expires_in_days=14)
    expired = builders.presented_plan(quoted_days=31, title="Already expired")
    builders.link_for(expired, staff=front_desk, expires_in_days=2)  # the quote rules

    html = section(board(desk_client), "expiring")

    assert html.index(plan_link(link_soon)) < html.index(plan_link(quote_soon))  # soonest first
    assert "Plenty of time" not in html and "Already expired" not in html


def test_waiting_quotes_show_when_a_link_of_theirs_was_last_opened(desk_client, front_desk):
    """The latest opening of any of the plan's links (read with the row since the catalog
    round: a subquery per row, no longer a query of its own)."""
    opened_plan = builders.presented_plan(title="Opened twice")
    builders.opened(builders.link_for(opened_plan, staff=front_desk), hours_ago=24 * 5)
    builders.opened(builders.link_for(opened_plan, staff=front_desk), hours_ago=24 * 2)
    builders.link_for(builders.presented_plan(title="Link never opened"), staff=front_desk)

    html = section(board(desk_client), "waiting")

    row = re.search(r"<tr>(?:(?!</tr>).)*Opened twice.*?</tr>", html, re.S).group(0)
    latest = timezone.localtime(timezone.now() - timedelta(days=2))
    assert f"Opened {format_date(latest)}" in row
    quiet = re.search(r"<tr>(?:(?!</tr>).)*Link never opened.*?</tr>", html, re.S).group(0)
    assert "Opened " not in quiet


def test_links_opened_but_not_signed(desk_client, front_desk):
    waiting = builders.presented_plan(title="Opened and left")
    link = builders.link_for(waiting, staff=front_desk)
    builders.opened(link, hours_ago=3)
    builders.opened(link, hours_ago=1)
    unopened = builders.presented_plan(title="Never opened")
    builders.link_for(unopened, staff=front_desk)
    signed = builders.accepted_plan(staff=front_desk, title="Opened and signed")
    builders.opened(signed.share_links.get())

    html = section(board(desk_client), "opened")

    assert "Opened and left" in html
    assert '<td class="num" data-label="Times opened">2</td>' in html
    assert "Never opened" not in html and "Opened and signed" not in html


# Acceptances and deposits ------------------------------------------------------------------


def test_recently_accepted_plans_with_their_deposit(desk_client, front_desk):
    paid = builders.accepted_plan(staff=front_desk, deposit_due=Decimal("200"), title="Paid up")
    builders.deposit(paid, "200", staff=front_desk)
    owing = builders.accepted_plan(staff=front_desk, deposit_due=Decimal("300"), title="Owing")
    builders.deposit(owing, "100", staff=front_desk)
    old = builders.accepted_plan(staff=front_desk, title="Accepted long ago")
    Plan.objects.filter(pk=old.pk).update(decided_at=timezone.now() - timedelta(days=20))

    html = section(board(desk_client), "accepted")

    assert "Paid up" in html and "Paid (USD 200)" in html
    assert "Owing" in html and "USD 200 still due" in html
    assert "Accepted long ago" not in html


def test_deposits_still_due_leave_out_paid_and_cancelled_plans(desk_client, front_desk):
    paid = builders.accepted_plan(staff=front_desk, deposit_due=Decimal("200"), title="Paid up")
    builders.deposit(paid, "150", staff=front_desk)
    builders.deposit(paid, "50", staff=front_desk)
    owing = builders.accepted_plan(staff=front_desk, deposit_due=Decimal("300"), title="Owing")
    builders.deposit(owing, "100", staff=front_desk)
    cancelled = builders.accepted_plan(
        staff=front_desk, deposit_due=Decimal("300"), title="Called off"
    )
    builders.cancel(cancelled)
    builders.accepted_plan(staff=front_desk, title="No deposit asked")

    html = section(board(desk_client), "deposits")

    assert "Owing" in html
    assert "USD 300" in html and "USD 100" in html and "<strong>USD 200</strong>" in html
    for absent in ("Paid up", "Called off", "No deposit asked"):
        assert absent not in html


# Pagination --------------------------------------------------------------------------------


def test_each_list_pages_on_its_own(desk_client, settings):
    from planner.board.day import PER_PAGE

    for n in range(PER_PAGE + 1):
        builders.presented_plan(quoted_days=n + 1, title=f"Quote {n:02d}")

    first = section(board(desk_client, deposits_page="3"), "waiting")
    assert first.count("<tr>") == PER_PAGE + 1  # the header row and a page of quotes
    assert "Quote 00" not in first  # newest last
    assert 'href="?deposits_page=3&amp;waiting_page=2#waiting"' in first

    second = section(board(desk_client, waiting_page="2"), "waiting")
    assert "Quote 00" in second and "Quote 20" not in second
    assert "waiting_page=1#waiting" in second


def test_names_and_titles_are_escaped_in_every_list(desk_client, front_desk, catalog):
    """The rows are built in Python (planner/board/rows.py): what staff or patients typed is
    escaped there as the template escaped it."""
    evil = '<script>alert("x")</script>'
    patient = PatientFactory(full_name=evil)
    waiting = builders.presented_plan(title=evil, patient=patient)
    builders.opened(builders.link_for(waiting, staff=front_desk, expires_in_days=2))
    owing = builders.accepted_plan(staff=front_desk, deposit_due=Decimal("50"), title=evil)
    session = builders.session_plan(catalog, staff=front_desk, days_ahead=(1,))
    session.patient.full_name = evil
    session.patient.save()

    html = board(desk_client)

    assert "<script>alert" not in html
    for name in ("sessions", "waiting", "expiring", "opened", "accepted", "deposits"):
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in section(html, name), name
    assert plan_link(owing) in section(html, "deposits")
