"""The summary PDF under load: finished PDFs come from the shared cache while nothing they
show has changed; a change of anything printed renders afresh; permissions are checked before
the cache; and beyond the render bound the answer is the "being prepared" page, which htmx
polls, instead of a worker stuck behind other PDFs."""

import io
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import PriceRange
from clinic.roles import CLINICIAN, FRONT_DESK
from planner import actions, summary_pdf
from planner.models import PlanStatus, SummaryAccess
from planner.planning import CourseDraft
from tests.conftest import user_with_role
from tests.factories.planner import make_plan

pytestmark = pytest.mark.slow


@pytest.fixture
def renders(monkeypatch):
    """How many PDFs were rendered (each one still really rendered)."""
    count = []
    real = summary_pdf.render_pdf

    def counting(html):
        count.append(1)
        return real(html)

    monkeypatch.setattr(summary_pdf, "render_pdf", counting)
    return count


@pytest.fixture
def plan(catalog, patient):
    return make_plan(patient, catalog[MICRONEEDLING], title="Glow plan")


def pdf_url(plan, **params):
    url = reverse("plan-summary-pdf", args=[plan.pk])
    return f"{url}?paper={params['paper']}" if params else url


def preparing_url(plan):
    return reverse("plan-summary-pdf-preparing", args=[plan.pk])


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the cache ----------------------------------------------------------------------------------


def test_unchanged_plan_is_served_from_the_cache_without_rendering(desk_client, plan, renders):
    first = desk_client.get(pdf_url(plan))
    second = desk_client.get(pdf_url(plan))

    assert len(renders) == 1
    assert second.content == first.content
    assert second["Content-Disposition"] == first["Content-Disposition"]
    # Every download is in the access log, from the cache or not.
    assert SummaryAccess.objects.filter(plan=plan, kind="pdf").count() == 2


def test_a_cached_pdf_costs_a_few_queries_whatever_the_plan(
    desk_client, catalog, patient, django_assert_num_queries
):
    small = make_plan(patient, catalog[MICRONEEDLING], sessions=1)
    large = make_plan(patient, *[catalog[MICRONEEDLING]] * 12, sessions=6, title="Large")
    for plan in (small, large):
        desk_client.get(pdf_url(plan))
    # Session, user, permissions, the plan's stamp, the cache, the access log.
    for plan in (small, large):
        with django_assert_num_queries(6):
            assert desk_client.get(pdf_url(plan)).status_code == 200


def test_each_paper_size_is_a_pdf_of_its_own(desk_client, plan, renders):
    a4 = desk_client.get(pdf_url(plan, paper="a4"))
    letter = desk_client.get(pdf_url(plan, paper="letter"))

    assert len(renders) == 2
    assert a4.content != letter.content


def test_a_plan_change_renders_afresh(desk_client, front_desk, plan, renders):
    assert "Draft" in text_of(desk_client.get(pdf_url(plan)))

    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=front_desk, expected_version=plan.version
    )
    text = text_of(desk_client.get(pdf_url(plan)))

    assert len(renders) == 2
    assert "Presented" in text


def test_a_patient_rename_renders_afresh(desk_client, front_desk, plan, renders):
    desk_client.get(pdf_url(plan))

    actions.patient_save(
        patient=plan.patient,
        changes={"full_name": "Ada Renamed"},
        user=front_desk,
        expected_version=plan.patient.version,
    )
    text = text_of(desk_client.get(pdf_url(plan)))

    assert len(renders) == 2
    assert "Ada Renamed" in text


def test_a_catalog_change_renders_afresh(desk_client, catalog, plan, renders):
    assert "USD 2,000–4,000" in text_of(desk_client.get(pdf_url(plan)))

    # Saved as the admin saves it (with its history record), not a bulk update: a draft
    # prints the prices in force.
    price = PriceRange.objects.get(treatment=catalog[MICRONEEDLING], unit="series")
    price.minimum = Decimal("2500")
    price.save()
    text = text_of(desk_client.get(pdf_url(plan)))

    assert len(renders) == 2
    assert "USD 2,500–4,000" in text


def test_a_new_day_renders_afresh(desk_client, plan, renders, monkeypatch):
    desk_client.get(pdf_url(plan))
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)

    response = desk_client.get(pdf_url(plan))

    assert len(renders) == 2
    assert tomorrow.isoformat() in response["Content-Disposition"]


def test_each_user_gets_the_pdf_prepared_in_their_name(catalog, patient, plan, renders):
    desk = user_with_role(FRONT_DESK, username="d2", first_name="Dana", last_name="Desk")
    clinician = user_with_role(CLINICIAN, username="c2", first_name="Cleo", last_name="Med")

    dana = text_of(client_for(desk).get(pdf_url(plan)))
    cleo = text_of(client_for(clinician).get(pdf_url(plan)))

    assert len(renders) == 2
    assert "Dana Desk" in dana and "Cleo Med" not in dana
    assert "Cleo Med" in cleo and "Dana Desk" not in cleo


def test_permission_is_checked_before_the_cache(desk_client, no_role_user, plan):
    desk_client.get(pdf_url(plan))

    outsider = client_for(no_role_user)

    assert outsider.get(pdf_url(plan)).status_code == 403
    assert outsider.get(preparing_url(plan)).status_code == 403
    assert desk_client.get(reverse("plan-summary-pdf", args=[plan.pk + 999])).status_code == 404


def test_with_the_cache_off_every_pdf_renders(settings, desk_client, plan, renders):
    settings.SUMMARY_PDF_CACHE_SECONDS = 0

    desk_client.get(pdf_url(plan))
    desk_client.get(pdf_url(plan))

    assert len(renders) == 2


# --- the render bound ---------------------------------------------------------------------------


def test_beyond_the_bound_the_pdf_is_being_prepared(settings, desk_client, plan, renders):
    settings.SUMMARY_PDF_RENDERS_PER_PROCESS = 0

    response = desk_client.get(pdf_url(plan, paper="a4"))

    assert response.status_code == 302
    assert response["Location"] == f"{preparing_url(plan)}?paper=a4"
    page = desk_client.get(response["Location"])
    html = page.content.decode()
    assert "Your PDF is being prepared" in html
    # htmx polls; without JavaScript the link tries the download again.
    assert f'data-hx-get="{preparing_url(plan)}?paper=a4"' in html
    assert 'data-hx-trigger="every 3s"' in html
    assert f'href="{pdf_url(plan, paper="a4")}"' in html
    assert renders == []
    assert not SummaryAccess.objects.exists()


def test_the_poll_waits_while_busy_then_renders_and_offers_the_download(
    settings, desk_client, plan, renders
):
    settings.SUMMARY_PDF_RENDERS_PER_PROCESS = 0
    busy = desk_client.get(preparing_url(plan), headers={"HX-Request": "true"})
    assert busy.status_code == 204  # nothing swapped: htmx keeps polling

    settings.SUMMARY_PDF_RENDERS_PER_PROCESS = 1
    ready = desk_client.get(preparing_url(plan), headers={"HX-Request": "true"})

    assert ready.status_code == 286  # htmx stops polling
    assert "Your PDF is ready" in ready.content.decode()
    assert f'href="{pdf_url(plan)}"' in ready.content.decode()
    assert len(renders) == 1
    # Logged when downloaded, not when prepared; the download comes from the cache.
    assert not SummaryAccess.objects.exists()
    assert text_of(desk_client.get(pdf_url(plan)))
    assert len(renders) == 1
    assert SummaryAccess.objects.count() == 1


def test_a_cached_pdf_is_served_even_when_every_slot_is_taken(settings, desk_client, plan):
    desk_client.get(pdf_url(plan))
    settings.SUMMARY_PDF_RENDERS_PER_PROCESS = 0

    assert text_of(desk_client.get(pdf_url(plan)))


def test_one_render_at_a_time_per_user_across_servers(desk_client, front_desk, plan, renders):
    other = user_with_role(CLINICIAN, username="other")
    # Another server is rendering a PDF for this user: its mark is in the shared cache.
    cache.add(f"{summary_pdf.CACHE_PREFIX}:rendering:user:{front_desk.pk}", 1)

    assert desk_client.get(pdf_url(plan)).status_code == 302
    assert text_of(client_for(other).get(pdf_url(plan)))
    assert len(renders) == 1


def test_a_render_gives_its_slots_back(settings, desk_client, front_desk, plan, renders):
    settings.SUMMARY_PDF_RENDERS_PER_PROCESS = 1
    with summary_pdf.render_slot(front_desk) as may_render:
        assert may_render
        with summary_pdf.render_slot(front_desk) as second:
            assert not second

    with summary_pdf.render_slot(front_desk) as again:
        assert again


def test_a_failed_render_gives_its_slots_back(desk_client, front_desk, plan, monkeypatch):
    def broken(html):
        raise RuntimeError("Pango fell over")

    monkeypatch.setattr(summary_pdf, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        desk_client.get(pdf_url(plan))

    with summary_pdf.render_slot(front_desk) as may_render:
        assert may_render


# --- where PDFs render ----------------------------------------------------------------------


def test_pdfs_render_in_a_process_of_lower_priority(settings):
    settings.SUMMARY_PDF_RENDER_PROCESS = True

    assert summary_pdf.render_pdf(summary_pdf.WARM_UP_HTML).startswith(b"%PDF")
    niceness = summary_pdf._render_pool().submit(os.nice, 0).result()
    assert niceness >= os.nice(0) + summary_pdf.RENDER_NICENESS or niceness == 19
    assert summary_pdf._render_pool().submit(os.getpid).result() != os.getpid()


def test_pdfs_can_render_in_the_server_process(settings, desk_client, plan, monkeypatch):
    settings.SUMMARY_PDF_RENDER_PROCESS = False
    monkeypatch.setattr(summary_pdf, "_render_pool", lambda: pytest.fail("no render process"))

    assert text_of(desk_client.get(pdf_url(plan)))


# --- the warm-up --------------------------------------------------------------------------------


def test_the_warm_up_renders_a_pdf_without_a_database():
    assert summary_pdf.warm_up() > 1000


def test_the_background_warm_up_starts_the_render_process(settings):
    settings.SUMMARY_PDF_RENDER_PROCESS = True
    summary_pdf.warm_up_in_background()

    assert summary_pdf._render_pool().submit(os.getpid).result(timeout=120) != os.getpid()


def test_the_gunicorn_hook_warms_the_worker_up(monkeypatch):
    import runpy

    config = runpy.run_path("clinic/deploy/gunicorn.conf.py")
    called = []
    monkeypatch.setattr(summary_pdf, "warm_up_in_background", lambda: called.append(1))

    class Log:
        def info(self, *args):
            called.append(args)

    class Worker:
        log = Log()

    config["post_worker_init"](Worker())

    assert called[0] == 1
    assert config["worker_class"] == "gthread"
    assert config["threads"] >= 2


def test_a_setting_printed_on_the_pdf_is_part_of_the_key(settings, plan, front_desk):
    stamp = summary_pdf.plan_stamp(plan.pk)
    key = summary_pdf.cache_key(stamp=stamp, user=front_desk, today=date(2027, 1, 1), paper="a4")
    summary_pdf.code_version.cache_clear()
    settings.CLINIC_NAME = "Another Clinic"
    try:
        other = summary_pdf.cache_key(
            stamp=stamp, user=front_desk, today=date(2027, 1, 1), paper="a4"
        )
    finally:
        summary_pdf.code_version.cache_clear()

    assert key != other


def _save_glow_plan(user, patient, treatment, *, notes, plan=None):
    return actions.plan_save(
        plan=plan,
        patient=patient,
        fields=actions.PlanFields(title="Glow plan", indications=[], ready_by=None, notes=notes),
        drafts=[
            CourseDraft(
                key="0",
                treatment=treatment,
                sessions=3,
                interval_count=1,
                interval_unit="months",
                first_session=timezone.localdate() + timedelta(days=7),
            )
        ],
        user=user,
        expected_version=plan.version if plan else None,
    )


def test_a_save_that_changes_nothing_printed_reuses_the_render(
    desk_client, front_desk, catalog, patient, renders
):
    plan = _save_glow_plan(front_desk, patient, catalog[MICRONEEDLING], notes="")
    first = desk_client.get(pdf_url(plan))
    # The plan's internal notes are not printed: a new plan version, the same PDF.
    plan = _save_glow_plan(
        front_desk, patient, catalog[MICRONEEDLING], notes="Prefers mornings.", plan=plan
    )
    second = desk_client.get(pdf_url(plan))

    assert len(renders) == 1
    assert second.content == first.content
    # Each download is in the access log, whether rendered or not.
    assert SummaryAccess.objects.count() == 2


def test_a_save_that_changes_something_printed_renders_afresh(
    desk_client, front_desk, catalog, patient, renders
):
    plan = _save_glow_plan(front_desk, patient, catalog[MICRONEEDLING], notes="")
    desk_client.get(pdf_url(plan))
    plan = actions.plan_save(
        plan=plan,
        patient=patient,
        fields=actions.PlanFields(
            title="Glow plan, autumn", indications=[], ready_by=None, notes=""
        ),
        drafts=[],
        user=front_desk,
        expected_version=plan.version,
    )
    text = text_of(desk_client.get(pdf_url(plan)))

    assert len(renders) == 2
    assert "Glow plan, autumn" in text
