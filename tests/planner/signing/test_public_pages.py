"""The patient's public pages: every token state, the date-of-birth check and its lock,
what a wrong token or date reveals (nothing), headers, rate limits and CSRF."""

import base64
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.catalog_seed import LASER, MICRONEEDLING
from clinic.models import ConsentDocument
from planner import actions
from planner.models import Plan, PlanStatus
from planner.signing import actions as signing
from planner.signing.forms import NO_MATCH
from planner.signing.models import ShareLink, SignedRecord, SigningEvent
from tests.factories.planner import make_plan
from tests.helpers import sign_as_patient, tiny_png, two_users_one_stale

from .conftest import DOB, open_link

pytestmark = pytest.mark.django_db
WRONG_DOB = date(1990, 1, 1)


def plan_page(client, token):
    return client.get(reverse("sign-plan", args=[token]))


def accept_data(response, **overrides) -> dict:
    form = response.context["accept_form"]
    data = {
        "decision": "accept",
        "shown": form.initial["shown"],
        "typed_name": "Ada Example",
        "signature": "data:image/png;base64," + base64.b64encode(tiny_png()).decode(),
    }
    for consent in form.consents:
        data[f"consent_{consent.pk}"] = "on"
    data.update(overrides)
    return data


def assert_private_headers(response):
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- the date-of-birth page: the same for every token -----------------------------------------


def test_unknown_and_live_tokens_get_the_same_page(client, link_token, presented_plan):
    _link, token = link_token
    live = client.get(reverse("sign-link", args=[token]))
    unknown = client.get(reverse("sign-link", args=["not-a-real-token"]))

    for response in (live, unknown):
        assert response.status_code == 200
        assert_private_headers(response)
        html = response.content.decode()
        assert "date of birth" in html
        assert presented_plan.title not in html
        assert presented_plan.patient.full_name not in html
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.UNKNOWN).count() == 1
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.OPENED).count() == 1


def test_wrong_token_and_wrong_date_get_the_same_answer(client, link_token):
    _link, token = link_token
    unknown = open_link(client, "not-a-real-token")
    wrong = open_link(client, token, WRONG_DOB)

    for response in (unknown, wrong):
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [NO_MATCH]
        assert_private_headers(response)
    assert unknown.content.replace(b"not-a-real-token", b"").count(b"Glow") == 0


def test_five_wrong_dates_lock_the_link_even_for_the_right_one(client, link_token):
    link, token = link_token
    for _ in range(5):
        assert open_link(client, token, WRONG_DOB).status_code == 400
    link.refresh_from_db()
    assert link.locked_at is not None and link.wrong_checks == 5

    response = open_link(client, token, DOB)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [NO_MATCH]
    assert plan_page(client, token).url == reverse("sign-link", args=[token])
    kinds = list(SigningEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert kinds.count(SigningEvent.Kind.CHECK_FAILED) == 6
    assert kinds.count(SigningEvent.Kind.LOCKED) == 1


def test_right_date_opens_the_frozen_summary_and_consents(client, link_token, presented_plan):
    _link, token = link_token
    response = open_link(client, token)
    assert response.status_code == 302
    assert response.url == reverse("sign-plan", args=[token])

    page = plan_page(client, token)

    assert page.status_code == 200
    assert_private_headers(page)
    html = page.content.decode()
    assert "Glow plan" in html
    assert "USD 2,000–4,000" in html  # the frozen quote's series price
    assert "Consent to microneedling or laser" in html
    assert "starting template the clinic is still reviewing" in html
    assert 'src="/static/js/signature.js"' in html
    assert "<script>" not in html  # no inline script (CSP)


# The patient's plan page (anonymous), its summary kept (planner.fragments): the session, the
# link with its plan, patient and staff names, the rate-limit count, the plan's stamp, the kept
# summary, the consents, the deposit rule, and the OPENED row of the audit trail with the
# link's count of openings.
PLAN_PAGE_QUERIES = 9
# The first open of a plan's summary that day also reads the courses (with their treatment,
# product and lot), the catalog's token and the evidence notes, and keeps what it rendered (the
# database cache's count, savepoint, read, write and release) (+1 for the lots' storage
# readings when a course names a lot).
PLAN_PAGE_FIRST_OPEN_QUERIES = 17


def test_plan_page_queries_do_not_grow_with_courses(
    client,
    catalog,
    patient,
    front_desk,
    link_token,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    _link, token = link_token
    long_plan = make_plan(
        patient,
        catalog[MICRONEEDLING],
        catalog[LASER],
        catalog[MICRONEEDLING],
        sessions=6,
        title="Long plan",
    )
    actions.plan_transition(
        plan=long_plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    long_plan.refresh_from_db()
    _long_link, long_token = signing.link_create(
        plan=long_plan, user=front_desk, expected_version=long_plan.version
    )
    open_link(client, token)
    open_link(client, long_token)

    with django_assert_max_num_queries(PLAN_PAGE_FIRST_OPEN_QUERIES) as first:
        plan_page(client, token)
    with django_assert_num_queries(len(first)):
        first_long = plan_page(client, long_token)
    with django_assert_max_num_queries(PLAN_PAGE_QUERIES) as again:
        plan_page(client, token)
    with django_assert_num_queries(len(again)):
        response = plan_page(client, long_token)

    assert first_long.content == response.content or comparable(first_long) == comparable(response)
    assert response.status_code == 200
    assert "Long plan" in response.content.decode()


def comparable(response) -> str:
    """A page without its CSRF token, masked afresh on every request."""
    return re.sub(r'csrfmiddlewaretoken" value="[^"]+', "", response.content.decode())


def sheet(response) -> str:
    html = response.content.decode()
    return html[html.index('<div class="summary-sheet">') :]


def test_the_patients_summary_is_kept_until_what_it_shows_changes(
    client, link_token, presented_plan, front_desk, monkeypatch
):
    """Opened again, the page serves the summary it rendered; a change to the patient or to
    the name of the plan's author (printed on it) shows at once."""
    from planner.signing import views

    _link, token = link_token
    Plan.objects.filter(pk=presented_plan.pk).update(created_by=front_desk)
    open_link(client, token)
    built = []
    build = views._build_patient_sheet
    monkeypatch.setattr(views, "_build_patient_sheet", lambda *a: built.append(1) or build(*a))

    first = plan_page(client, token)
    again = plan_page(client, token)
    assert len(built) == 1
    assert comparable(again) == comparable(first)

    front_desk.first_name, front_desk.last_name = "Renamed", "Author"
    front_desk.save()
    renamed = plan_page(client, token)
    assert len(built) == 2
    assert "Renamed Author" in sheet(renamed) and "Renamed Author" not in sheet(first)

    patient = presented_plan.patient
    actions.patient_save(
        patient=patient,
        changes={"full_name": "Zelda Example"},
        user=front_desk,
        expected_version=patient.version,
    )
    assert "Zelda Example" in sheet(plan_page(client, token))
    assert len(built) == 3


def test_a_summary_read_beside_a_save_is_not_kept(client, link_token, presented_plan, monkeypatch):
    """The plan's stamp is read after the plan: if they differ (a save in between), the page
    shows what it read but keeps nothing under the newer stamp."""
    from planner import summary_pdf
    from planner.signing import views

    _link, token = link_token
    open_link(client, token)
    stamp = summary_pdf.plan_stamp
    monkeypatch.setattr(
        summary_pdf, "plan_stamp", lambda pk: {**stamp(pk), "version": stamp(pk)["version"] + 1}
    )
    built = []
    build = views._build_patient_sheet
    monkeypatch.setattr(views, "_build_patient_sheet", lambda *a: built.append(1) or build(*a))

    plan_page(client, token)
    plan_page(client, token)

    assert len(built) == 2


def test_plan_page_without_the_date_check_goes_back_to_it(client, link_token):
    _link, token = link_token
    response = plan_page(client, token)
    assert response.status_code == 302
    assert response.url == reverse("sign-link", args=[token])


def test_opening_one_link_does_not_open_another(client, link_token, presented_plan, front_desk):
    _link, token = link_token
    _other, other_token = signing.link_create(
        plan=presented_plan, user=front_desk, expected_version=presented_plan.version
    )
    open_link(client, token)
    assert plan_page(client, other_token).status_code == 302


# --- dead links: after the right date of birth, a plain "not open" ---------------------------


def expire(link, plan, staff):
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(1))


def revoke(link, plan, staff):
    signing.link_revoke(link=link, user=staff)


def change_plan(link, plan, staff):
    # Back to draft and presented again: a new version, so this link is dead.
    actions.plan_transition(plan=plan, to_status="draft", user=staff, expected_version=plan.version)
    plan.refresh_from_db()
    actions.plan_transition(
        plan=plan, to_status="presented", user=staff, expected_version=plan.version
    )


def use(link, plan, staff):
    ShareLink.objects.filter(pk=link.pk).update(used_at=timezone.now())


@pytest.mark.parametrize("kill", [expire, revoke, change_plan, use], ids=lambda f: f.__name__)
def test_dead_link_shows_nothing_of_the_plan_and_refuses_signing(
    client, link_token, presented_plan, front_desk, kill
):
    link, token = link_token
    open_link(client, token)
    page = plan_page(client, token)  # read while live
    kill(link, presented_plan, front_desk)

    response = plan_page(client, token)
    posted = client.post(reverse("sign-plan", args=[token]), accept_data(page))

    for dead in (response, posted):
        assert dead.status_code == 410
        assert "Glow plan" not in dead.content.decode()
        assert_private_headers(dead)
    presented_plan.refresh_from_db()
    assert presented_plan.status == PlanStatus.PRESENTED
    assert not SignedRecord.objects.exists()


def test_dead_link_still_needs_the_date_first(client, link_token, presented_plan, front_desk):
    link, token = link_token
    revoke(link, presented_plan, front_desk)
    assert plan_page(client, token).status_code == 302
    assert open_link(client, token, WRONG_DOB).status_code == 400


# --- signing ----------------------------------------------------------------------------------


def test_patient_signs_and_the_plan_is_accepted(client, link_token, presented_plan):
    link, token = link_token
    open_link(client, token)
    page = plan_page(client, token)

    response = client.post(
        reverse("sign-plan", args=[token]),
        accept_data(page),
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) test",
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 302
    presented_plan.refresh_from_db()
    assert presented_plan.status == PlanStatus.ACCEPTED
    record = SignedRecord.objects.get()
    assert record.decision == "accepted"
    assert record.typed_name == "Ada Example"
    assert record.ip_address == "198.51.100.7"
    assert record.user_agent == "Mozilla/5.0 (iPhone) test"
    assert record.shown_hash == page.context["accept_form"].initial["shown"]
    assert bytes(record.signature_png) == tiny_png()
    assert "Glow plan" in record.shown_summary_html
    assert [c.slug for c in record.consents.all()] == ["topical-exosome-procedure"]
    link.refresh_from_db()
    assert link.used_at is not None
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.SIGNED, link=link).exists()
    done = plan_page(client, token)
    assert "your plan is accepted" in done.content.decode()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"typed_name": ""}, "Type your full name."),
        ({"signature": ""}, "Draw your signature in the box."),
        ({"signature": "data:image/png;base64,AAAA"}, "Draw your signature in the box (it could"),
    ],
)
def test_accept_needs_name_and_signature(client, link_token, presented_plan, override, message):
    _link, token = link_token
    open_link(client, token)
    page = plan_page(client, token)

    response = client.post(reverse("sign-plan", args=[token]), accept_data(page, **override))

    assert response.status_code == 400
    assert message in response.content.decode()
    presented_plan.refresh_from_db()
    assert presented_plan.status == PlanStatus.PRESENTED


def test_accept_needs_every_consent_ticked(client, link_token, presented_plan):
    _link, token = link_token
    open_link(client, token)
    page = plan_page(client, token)
    data = {k: v for k, v in accept_data(page).items() if not k.startswith("consent_")}

    response = client.post(reverse("sign-plan", args=[token]), data)

    assert response.status_code == 400
    assert "Tick this box to agree to this consent." in response.content.decode()
    assert not SignedRecord.objects.exists()


def test_a_consent_changed_while_reading_is_not_signed(client, link_token, presented_plan):
    _link, token = link_token
    open_link(client, token)

    def new_version():
        old = ConsentDocument.objects.get(slug="topical-exosome-procedure")
        ConsentDocument.objects.create(
            slug=old.slug,
            version=2,
            title=old.title,
            text=old.text + "\n\nA new paragraph.",
            treatment_kinds=old.treatment_kinds,
        )

    response = two_users_one_stale(
        read=lambda: plan_page(client, token),
        other_write=new_version,
        stale_write=lambda page: client.post(
            reverse("sign-plan", args=[token]),
            {**accept_data(page), f"consent_{ConsentDocument.objects.get(version=2).pk}": "on"},
        ),
        state=lambda: (
            list(ShareLink.objects.values_list("used_at", flat=True)),
            SignedRecord.objects.count(),
            presented_plan.__class__.objects.get(pk=presented_plan.pk).status,
        ),
    )

    assert response.status_code == 400
    assert signing.SHOWN_CHANGED in response.content.decode()


def test_patient_declines_with_a_reason(client, link_token, presented_plan):
    _link, token = link_token
    open_link(client, token)
    page = plan_page(client, token)

    response = client.post(
        reverse("sign-plan", args=[token]),
        {
            "decision": "decline",
            "shown": page.context["decline_form"].initial["shown"],
            "reason": "Too expensive for now",
        },
    )

    assert response.status_code == 302
    presented_plan.refresh_from_db()
    assert presented_plan.status == PlanStatus.DECLINED
    record = SignedRecord.objects.get()
    assert (record.decision, record.decline_reason) == ("declined", "Too expensive for now")
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.DECLINED).exists()
    assert "declined this plan" in plan_page(client, token).content.decode()


def test_a_link_signs_once(client, link_token, presented_plan, front_desk):
    link, token = link_token
    open_link(client, token)
    page = plan_page(client, token)
    client.post(reverse("sign-plan", args=[token]), accept_data(page))

    with pytest.raises(actions.PlanActionError, match="no longer open"):
        signing.plan_sign(
            link=link,
            typed_name="Again",
            ticked_consents=set(),
            signature_png=tiny_png(),
            expected_hash=page.context["accept_form"].initial["shown"],
            summary_html="",
        )
    assert SignedRecord.objects.count() == 1


def test_investigational_consent_is_asked_and_signed(client, investigational_plan, clinician):
    record = sign_as_patient(investigational_plan, staff=clinician)
    investigational_plan.refresh_from_db()
    assert investigational_plan.status == PlanStatus.ACCEPTED
    assert [c.slug for c in record.consents.all()] == ["investigational-exosome-injection"]
    assert "investigational" in record.consents.get().text
    # The patient's acknowledgement of the investigational treatment is this signature.
    assert investigational_plan.patient_acknowledged_investigational


def test_staff_cannot_accept_without_the_patients_consents(desk_client, presented_plan):
    response = desk_client.post(
        reverse("plan-transition", args=[presented_plan.pk]),
        {"to": "accepted", "version": presented_plan.version},
        follow=True,
    )
    assert "has not signed every consent" in response.content.decode()
    presented_plan.refresh_from_db()
    assert presented_plan.status == PlanStatus.PRESENTED


# --- limits and CSRF --------------------------------------------------------------------------


def test_requests_from_one_address_are_rate_limited(client, link_token, settings):
    settings.SIGNING_RATE_LIMIT = 3
    _link, token = link_token
    for _ in range(3):
        assert client.get(reverse("sign-link", args=[token])).status_code == 200

    response = client.get(reverse("sign-link", args=[token]))
    client.get(reverse("sign-link", args=[token]))

    assert response.status_code == 429
    assert_private_headers(response)
    # A flood is logged once, not once per request.
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.RATE_LIMITED).count() == 1
    # Another address is not affected; counted in the database, not in one process.
    assert (
        client.get(reverse("sign-link", args=[token]), REMOTE_ADDR="192.0.2.1").status_code == 200
    )


def test_unknown_tokens_are_rate_limited_per_address(client, settings):
    settings.SIGNING_RATE_LIMIT = 2
    for n in range(2):
        client.get(reverse("sign-link", args=[f"guess-{n}"]))
    assert client.get(reverse("sign-link", args=["guess-x"])).status_code == 429


def test_public_posts_need_the_csrf_token(link_token):
    _link, token = link_token
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("sign-link", args=[token]), {"date_of_birth": "1984-05-02"})
    assert response.status_code == 403


def test_investigational_plan_never_accepted_without_its_consent_document(
    investigational_plan, clinician
):
    ConsentDocument.objects.filter(slug="investigational-exosome-injection").update(active=False)

    with pytest.raises(actions.PlanActionError) as refused:
        actions.plan_transition(
            plan=investigational_plan,
            to_status=PlanStatus.ACCEPTED,
            user=clinician,
            expected_version=investigational_plan.version,
        )
    assert str(refused.value) == actions.NO_INVESTIGATIONAL_CONSENT


def test_the_plan_page_is_valid_html_rendered_and_kept(client, link_token, tmp_path):
    """The Nu checker on the patient's plan page, as first rendered and as served again from
    the kept summary (the staff pages' inventory, tests/pages.py, cannot pass the date check)."""
    from tests.a11y.nu import nu_errors

    _link, token = link_token
    open_link(client, token)
    for name in ("rendered", "kept"):
        response = plan_page(client, token)
        assert response.status_code == 200
        (tmp_path / f"{name}.html").write_bytes(response.content)

    errors = nu_errors(tmp_path)
    assert errors == [], "\n".join(errors)
