"""The patient signs on their phone: staff email the link from the plan page, the patient
opens it from the message received by a real SMTP server, types their date of birth, ticks
the consent, types their name, draws a signature and accepts; staff see it at once."""

import re

import pytest
from playwright.sync_api import expect

from clinic.catalog_seed import MICRONEEDLING
from planner import actions
from planner.models import Plan, PlanStatus
from planner.signing.models import SignedRecord
from tests.factories.planner import make_plan
from tests.planner.signing.smtp import body_of, start_smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp(settings):
    controller, handler = start_smtp()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def presented(catalog, patient, front_desk):
    plan = make_plan(patient, catalog[MICRONEEDLING], title="Glow plan")
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=1
    )
    return plan


def test_patient_signs_from_the_emailed_link(page, browser, live_server, login, presented, smtp):
    login("desk")
    page.goto(f"{live_server.url}/plans/{presented.pk}/")
    page.get_by_role("button", name=re.compile("Email a signing link")).click()
    expect(page.get_by_text("The link was emailed to")).to_be_visible()

    (message,) = smtp.messages
    url = re.search(r"https?://\S+/p/\S+/", body_of(message))[0]

    # Staff keep the plan page open while the patient signs on their phone.
    page.goto(f"{live_server.url}/plans/{presented.pk}/")
    expect(page.locator(".plan-head .status")).to_have_text("Presented")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    patient_page = phone.new_page()
    patient_page.goto(url)
    patient_page.get_by_label("Your date of birth").fill("1984-05-02")
    patient_page.get_by_role("button", name="Open the plan").click()
    expect(patient_page.get_by_role("heading", name="Glow plan")).to_be_visible()

    patient_page.get_by_role("checkbox", name=re.compile("Consent to microneedling")).check()
    patient_page.get_by_label("Your full name").fill("Ada Example")
    pad = patient_page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    patient_page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    patient_page.mouse.down()
    for step in range(1, 12):
        patient_page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 20 + (step % 3) * 20)
    patient_page.mouse.up()
    patient_page.get_by_role("button", name="Sign and accept").click()
    expect(patient_page.get_by_role("heading", name=re.compile("plan is accepted"))).to_be_visible()
    phone.close()

    # No reload: the page polls while it waits and refreshes once the patient has signed.
    expect(page.locator(".plan-head .status")).to_have_text("Accepted", timeout=15_000)
    expect(page.get_by_role("link", name="Signed record (PDF)")).to_be_visible()
    assert Plan.objects.get(pk=presented.pk).status == PlanStatus.ACCEPTED
    assert bytes(SignedRecord.objects.get().signature_png).startswith(b"\x89PNG")


def draw_signature(page):
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 20 + (step % 3) * 20)
    page.mouse.up()


def test_kiosk_shows_only_the_patient_pages_and_returns_to_a_login(
    page, live_server, login, presented
):
    from tests.browser.test_catalog_admin import serious_violations

    login("desk")
    page.goto(f"{live_server.url}/plans/{presented.pk}/")
    page.get_by_role("button", name=re.compile("Sign on this tablet")).click()

    expect(page.get_by_role("heading", name="Open your treatment plan")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    assert serious_violations(page) == []
    page.get_by_label("Your date of birth").fill("1984-05-02")
    page.get_by_role("button", name="Open the plan").click()
    expect(page.get_by_role("heading", name="Glow plan")).to_be_visible()
    assert serious_violations(page) == []

    # Accepting without a signature is refused, and says why.
    page.get_by_role("checkbox", name=re.compile("Consent to microneedling")).check()
    page.get_by_label("Your full name").fill("Ada Example")
    page.get_by_role("button", name="Sign and accept").click()
    expect(page.get_by_text("Draw your signature in the box.")).to_be_visible()

    page.get_by_role("checkbox", name=re.compile("Consent to microneedling")).check()
    draw_signature(page)
    page.get_by_role("button", name="Sign and accept").click()
    expect(page.get_by_text("Please hand the tablet back to the clinic.")).to_be_visible()

    page.goto(f"{live_server.url}/plans/{presented.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert Plan.objects.get(pk=presented.pk).status == PlanStatus.ACCEPTED


def test_a_date_of_birth_typed_as_the_page_says_is_the_one_the_box_takes(
    page, live_server, presented, front_desk
):
    """The patient's phone shows the date box in its own order (month first in the US): any
    example the page gives, typed with the keyboard as written, must land in the box as that
    same date, not as a year 40502 the patient cannot make sense of."""
    from planner.signing import actions as signing

    _link, token = signing.link_create(
        plan=presented, user=front_desk, expected_version=presented.version
    )
    page.goto(f"{live_server.url}/p/{token}/")
    box = page.get_by_label("Your date of birth")
    for example in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", page.inner_text("main")):
        box.fill("")
        box.focus()
        page.keyboard.type(example)
        assert box.input_value() == example
