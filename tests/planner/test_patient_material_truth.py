"""Issue 12: the patient material tells the whole truth. One test (or a few) per numbered point,
each rendering the real page, PDF (text via pypdf) or .ics of a plan that triggers it; then a
test that every figure in every output comes from the catalog or the clinic's own data."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from clinic.models import (
    EvidenceNote,
    ExosomeProduct,
    PriceRange,
    ProductRegulatoryStatus,
    TreatmentType,
)
from planner import actions, selectors
from planner.delivery.actions import session_perform
from planner.delivery.selectors import course_state
from planner.models import Plan, PlanStatus
from tests.factories.clinic import (
    ExosomeProductFactory,
    PriceRangeFactory,
    ProductLotFactory,
    StorageCheckFactory,
)
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory
from tests.helpers import sign_as_patient, sign_off_expected

pytestmark = pytest.mark.django_db

MICRONEEDLING = "microneedling-topical-exosome"
LASER = "fractional-laser-topical-exosome"
INJECTABLE = "injectable-msc-exosome"


@pytest.fixture
def catalog(db):
    call_command("load_catalog", stdout=io.StringIO())
    return {t.slug: t for t in TreatmentType.objects.all()}


@pytest.fixture
def today():
    return timezone.localdate()


def day(d) -> str:
    return f"{d.day} {d:%b} {d.year}"


def make_plan(catalog, today, *, slug=MICRONEEDLING, sessions=3, first=10, **fields) -> Plan:
    plan = PlanFactory(patient=PatientFactory(full_name="Ann Lee"), title="Glow plan", **fields)
    CourseFactory(
        plan=plan,
        position=0,
        treatment=catalog[slug],
        sessions=sessions,
        interval_count=1,
        interval_unit="months",
        first_session=today + timedelta(days=first),
    )
    return plan


def product_course(plan, *, lot=None, product=None):
    course = plan.courses.get()
    lot = lot or ProductLotFactory(product=product or ExosomeProductFactory())
    course.product, course.lot = lot.product, lot
    course.save()
    return lot


def page(client, plan) -> str:
    return client.get(reverse("plan-summary", args=[plan.pk])).content.decode()


def pdf_text(client, plan) -> str:
    content = client.get(reverse("plan-summary-pdf", args=[plan.pk])).content
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    """PDF text with line breaks read as spaces (a line may wrap anywhere)."""
    return " ".join(text.split())


def ics(client, plan) -> str:
    content = client.get(reverse("plan-calendar", args=[plan.pk])).content.decode()
    return re.sub(r"\r\n[ \t]", "", content)


# 1. When results show ----------------------------------------------------------------------


def test_1_results_keep_developing_on_every_surface(clinician_client, catalog, today):
    plan = make_plan(catalog, today, ready_by=today + timedelta(days=80))
    html, pdf = page(clinician_client, plan), flat(pdf_text(clinician_client, plan))
    editor = clinician_client.get(reverse("plan-edit", args=[plan.pk])).content.decode()
    detail = clinician_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    catalog_page = clinician_client.get(reverse("catalog")).content.decode()

    for text in (html, pdf, editor, detail):
        assert "results keep developing for about 4–6 weeks after each session" in text
        assert "will still be developing on" in text or "may still be developing on" in text
    assert "How much improvement you see varies from person to person." in pdf
    assert "about 4–6 weeks after each session" in catalog_page
    for text in (html, pdf, editor, detail, catalog_page, ics(clinician_client, plan)):
        assert "results show" not in text.lower()
        assert "usually show" not in text
        assert "seeing results" not in text


def test_1_investigational_results_are_what_the_trial_studies(clinician_client, catalog, today):
    plan = make_plan(catalog, today, slug=INJECTABLE, sessions=2)
    html = page(clinician_client, plan)
    assert "whether and when results appear is what the trial studies" in html


def test_1_investigational_is_said_once_after_a_name_that_says_it(clinician_client, catalog, today):
    """The seeded injectable is named "Injectable MSC exosome (investigational)": its results
    line must not read "(investigational) (investigational)"; a name without the word still
    gets it."""
    plan = make_plan(catalog, today, slug=INJECTABLE, sessions=2)
    detail = clinician_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    for text in (page(clinician_client, plan), detail, flat(pdf_text(clinician_client, plan))):
        assert "(investigational) (investigational)" not in text
        assert "Injectable MSC exosome (investigational): whether and when results" in text

    injectable = TreatmentType.objects.get(slug=INJECTABLE)
    injectable.name = "MSC exosome injection"
    injectable.save()  # through save(): the cached catalog follows
    assert "MSC exosome injection (investigational): whether and when results" in page(
        clinician_client, plan
    )


# 2. Storage --------------------------------------------------------------------------------


def test_2_storage_requirement_and_the_logs_truth(clinician_client, catalog, today):
    plan = make_plan(catalog, today)
    lot = product_course(plan)
    StorageCheckFactory(lot=lot, checked_on=today - timedelta(days=9), temperature_celsius=4)
    StorageCheckFactory(lot=lot, checked_on=today - timedelta(days=5), temperature_celsius=14)
    pdf = flat(pdf_text(clinician_client, plan))
    html = page(clinician_client, plan)

    for text in (html, pdf):
        assert "Kept at" not in text
    assert "<dt>Storage required</dt><dd>2 °C to 8 °C</dd>" in html
    when = day(today - timedelta(days=5))
    expected = f"2 readings recorded for this lot; 1 outside the range: 14 °C on {when}"
    assert expected in html
    assert expected in pdf


# 3. Lot warnings ---------------------------------------------------------------------------


def test_3_lot_facts_reach_the_patient(clinician_client, catalog, today):
    plan = make_plan(catalog, today)
    expiry = today + timedelta(days=50)
    product_course(
        plan,
        lot=ProductLotFactory(
            lot_number="Z-9",
            size_min_nm=Decimal(20),
            size_max_nm=Decimal(400),
            received_on=today - timedelta(days=30),
            expires_on=expiry,
        ),
    )
    pdf = flat(pdf_text(clinician_client, plan))
    assert f"Lot Z-9, expires {day(expiry)}." in pdf
    assert "Lot Z-9 measures 20–400 nm, outside the 30–150 nm of exosomes" in pdf
    assert f"Lot Z-9 expires on {day(expiry)}, before session 3" in pdf
    assert "size distribution yes" not in pdf


def test_3_an_expired_lot_on_a_session_date_blocks_presenting(clinician, catalog, today):
    plan = make_plan(catalog, today)
    product_course(
        plan,
        lot=ProductLotFactory(
            lot_number="Z-9",
            received_on=today - timedelta(days=30),
            expires_on=today + timedelta(days=50),
        ),
    )
    with pytest.raises(actions.PlanActionError, match="An expired lot cannot be used"):
        actions.plan_transition(
            plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=1
        )


def test_3_size_and_storage_warnings_need_exactly_their_acknowledgement(clinician, catalog, today):
    plan = make_plan(catalog, today)
    lot = product_course(
        plan, lot=ProductLotFactory(size_min_nm=Decimal(20), size_max_nm=Decimal(400))
    )
    StorageCheckFactory(lot=lot, checked_on=today, temperature_celsius=14)
    gaps = selectors.due_diligence_gaps(plan=plan, today=timezone.localdate())
    assert any("measures 20–400 nm" in gap for gap in gaps)
    assert any("14 °C" in gap for gap in gaps)
    with pytest.raises(actions.PlanActionError, match="open due-diligence questions or lot"):
        actions.plan_transition(
            plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=1
        )
    actions.plan_acknowledge_due_diligence(plan=plan, user=clinician, **sign_off_expected(plan))
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=plan.version
    )
    assert plan.status == PlanStatus.PRESENTED


# 4. Regulatory status ----------------------------------------------------------------------


def test_4_no_product_can_be_recorded_cleared(
    admin_client_clinic, clinician_client, catalog, today
):
    form = str(modelform_factory(ExosomeProduct, fields=["regulatory_status"])())
    assert "Cleared" not in form and "approved product" not in form
    assert "only inside an FDA IND or a registered clinical trial" in form
    assert [v for v, _ in ProductRegulatoryStatus.choices] == [
        "cosmetic_topical",
        "investigational",
    ]

    plan = make_plan(catalog, today, slug=INJECTABLE, sessions=2)
    product_course(plan, product=ExosomeProductFactory(injectable=True))
    pdf = flat(pdf_text(clinician_client, plan))
    assert "Cleared" not in pdf
    assert (
        "Investigational: only inside an FDA IND or a registered clinical trial (IND 012345)" in pdf
    )


# 5. The PDF's first disclosure reads as one -------------------------------------------------


def test_5_no_stays_with_its_sentence_in_the_pdf(clinician_client, catalog, today):
    plan = make_plan(catalog, today)
    text = pdf_text(clinician_client, plan)
    assert "No exosome product is approved" in text
    assert not re.search(r"(^|\n)• ?No\n", text) and "No\nexosome" not in text


# 6. Advice in the past ---------------------------------------------------------------------


def test_6_advice_never_names_a_date_before_today(clinician_client, catalog, today):
    plan = make_plan(catalog, today, ready_by=today + timedelta(days=20))
    html = page(clinician_client, plan)
    assert (
        f"The ready-by date {day(today + timedelta(days=20))} cannot be met with this plan" in html
    )
    assert (
        "fewer sessions, another treatment with a shorter downtime, or a later event date" in html
    )
    assert "should be no later than" not in html and "on or before" not in html


# 7. Risks ------------------------------------------------------------------------------------


def test_7_preparation_and_procedure_risks_apart(clinician_client, catalog, today):
    pdf = flat(pdf_text(clinician_client, make_plan(catalog, today)))
    assert "risks are minimal" not in pdf
    assert (
        "The exosome preparation: for a well-characterised preparation, the risks reported are "
        "bruising and short-lived redness" in pdf
    )
    assert "[regen-2026]" in pdf
    assert "The microneedling itself: it has risks of its own" in pdf
    assert "your clinician explains them" in pdf


# 8. Early evidence ---------------------------------------------------------------------------


def test_8_the_evidence_is_early(clinician_client, catalog, today):
    pdf = flat(pdf_text(clinician_client, make_plan(catalog, today)))
    assert "The evidence is early" in pdf and "[difrancesco]" in pdf
    assert "More clinical trials are needed" in pdf and "[chatham]" in pdf


# 9. Due diligence for the patient ----------------------------------------------------------


def test_9_four_answers_and_who_accepted_the_open_ones(clinician_client, clinician, catalog, today):
    plan = make_plan(catalog, today)
    product_course(plan, product=ExosomeProductFactory(clinical_evidence=""))
    actions.plan_acknowledge_due_diligence(plan=plan, user=clinician, **sign_off_expected(plan))
    html = page(clinician_client, plan)
    assert "<dt>What is the source cell line?</dt><dd>Umbilical-cord MSC line UC-12</dd>" in html
    assert (
        '<dt>What clinical outcome data supports this product?</dt><dd class="nd">not recorded</dd>'
        in html
    )
    assert "What characterisation data exists for this lot?" in html
    assert "What is its regulatory status" in html
    name = clinician.get_full_name()
    assert f"reviewed and accepted by {name} on {day(today)}" in html


# 10. Whose prices ------------------------------------------------------------------------------


def test_10_published_ranges_are_not_called_the_clinics(clinician_client, catalog, today):
    html = page(clinician_client, make_plan(catalog, today))
    assert "typical US range published in regen-2026; the clinic has not set its own price" in html
    assert "figures quoted" not in html and "clinic’s prices" not in html
    assert "A session price is for one treatment visit" in html


def test_10_trial_price_and_no_charge(clinician_client, catalog, today):
    plan = make_plan(catalog, today, slug=INJECTABLE, sessions=2)
    html = page(clinician_client, plan)
    assert "typical US range for a high-potency MSC injectable in specialist practices" in html
    assert "the clinic has not set a price for the trial" in html
    PriceRangeFactory(
        treatment=catalog[INJECTABLE],
        minimum=0,
        maximum=0,
        effective_from=today - timedelta(days=1),
        source="clinic",
        trial_pricing="no_charge",
    )
    html = page(clinician_client, plan)
    assert "no charge within the trial, as set by the clinic" in html


# 11. A scheduled price change --------------------------------------------------------------


def test_11_upcoming_price_ends_the_drafts_validity(clinician_client, catalog, today):
    plan = make_plan(catalog, today, sessions=2)
    starts = today + timedelta(days=14)
    PriceRangeFactory(
        treatment=catalog[MICRONEEDLING],
        minimum=700,
        maximum=1600,
        effective_from=starts,
        source="clinic",
    )
    html = page(clinician_client, plan)
    assert f'id="quote-valid-until">{day(starts - timedelta(days=1))}' in html
    assert (
        f"From {day(starts)}, Microneedling + topical exosome (per session) is USD 700–1,600"
        in html
    )


# 12. Source keys on edited figures ---------------------------------------------------------


def test_12_a_changed_figure_is_the_clinics(clinician_client, catalog, today):
    TreatmentType.objects.filter(slug=MICRONEEDLING).update(
        downtime_min_hours=12, downtime_max_hours=24
    )
    plan = make_plan(catalog, today)
    html = page(clinician_client, plan)
    assert '12–24 hours<span class="src"> [clinic]</span>' in html
    assert "12–24 hours [regen-2026]" not in flat(pdf_text(clinician_client, plan))
    catalog_page = clinician_client.get(reverse("catalog")).content.decode()
    assert '12–24 hours</span> <span class="source">(clinic)</span>' in catalog_page
    # An unchanged figure keeps its published key.
    assert '2–3 sessions<span class="src"> [regen-2026]</span>' in html


# 13. Indications as goals ------------------------------------------------------------------


def test_13_goals_worded_cosmetically(clinician_client, catalog, today):
    plan = make_plan(catalog, today, indications=["scars", "wound_healing"])
    pdf = flat(pdf_text(clinician_client, plan))
    assert "YOUR GOALS" in pdf.upper()
    assert "The look of scars" in pdf
    assert "The look of the skin as it heals after surgery" in pdf
    assert "Scar appearance" not in pdf and "wound-healing support" not in pdf


# 14. Spacing ---------------------------------------------------------------------------------


def test_14_a_documented_cadence_not_a_minimum(clinician_client, catalog, today):
    plan = make_plan(catalog, today, sessions=2)
    plan.courses.update(interval_count=2, interval_unit="weeks")
    html = page(clinician_client, plan).split("<article", 1)[1]
    for text in (html, flat(pdf_text(clinician_client, plan))):
        assert "a monthly cadence is documented for this treatment" in text
        assert "catalog" not in text.lower()
        assert "at least 1 month" not in text


# 15. Outside the documented range --------------------------------------------------------------


def test_15_more_sessions_than_documented(clinician_client, catalog, today):
    plan = make_plan(catalog, today, sessions=5)
    assert (
        "This plan has 5 sessions of Microneedling + topical exosome, more than the typical "
        "series of 2–3 sessions that is documented; your clinician can explain why."
    ) in page(clinician_client, plan)
    detail = clinician_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "5 sessions planned, more than the documented typical series of 2–3 sessions" in detail


# 16. Injectable without a product ------------------------------------------------------------


def test_16_injectable_needs_its_product_and_lot(clinician, clinician_client, catalog, today):
    plan = make_plan(
        catalog,
        today,
        slug=INJECTABLE,
        sessions=2,
        investigational_reference="IND 1",
        patient_acknowledged_investigational=True,
    )
    detail = clinician_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "No product is named for Injectable MSC exosome (investigational)" in detail
    with pytest.raises(actions.PlanActionError, match="Name the product for Injectable"):
        actions.plan_transition(
            plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=1
        )
    plan.courses.update(product=ExosomeProductFactory(injectable=True))
    # With no lot yet, the characterisation question is open: a clinician accepts it.
    actions.plan_acknowledge_due_diligence(plan=plan, user=clinician, **sign_off_expected(plan))
    actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=clinician, expected_version=plan.version
    )
    sign_as_patient(plan, staff=clinician)  # the investigational consent, signed: accepted
    plan.refresh_from_db()
    # Before treatment: performing a session of it needs the lot actually used.
    session = plan.sessions.get(number=1)
    with pytest.raises(actions.PlanActionError, match="name the lot actually used"):
        session_perform(
            session=session,
            performed_on=today,
            performer=clinician,
            lot=None,
            user=clinician,
            expected_state=course_state(plan.sessions.all()),
        )


# 17. Ready-by on the last downtime day -------------------------------------------------------


def test_17_event_on_the_last_downtime_day_is_flagged(clinician_client, catalog, today):
    plan = make_plan(catalog, today, sessions=1, ready_by=today + timedelta(days=12))
    html = page(clinician_client, plan)
    session = today + timedelta(days=10)
    assert (
        f"{day(session + timedelta(days=1))[:2].strip()}–{day(session + timedelta(days=2))}" in html
        or (day(session + timedelta(days=2)) in html)
    )
    assert (
        f"Downtime after Microneedling + topical exosome session 1 on {day(session)} may last "
        f"until {day(session + timedelta(days=2))}, the ready-by date itself."
    ) in html


# 18. Smaller ones ----------------------------------------------------------------------------


def test_18_wording_of_sources_and_trials(clinician_client, catalog, today):
    plan = make_plan(catalog, today)
    plan.courses.update(exosome_source="plant")
    other = make_plan(catalog, today)
    other.courses.update(exosome_source="synthetic")
    assert "They may signal less effectively to human cells" in page(clinician_client, plan)
    assert "may be liposomes" in page(clinician_client, other)
    injectable = make_plan(catalog, today, slug=INJECTABLE, sessions=2)
    pdf = pdf_text(clinician_client, injectable)
    assert "an FDA IND or a registered clinical trial" in flat(pdf)
    assert "registered IND" not in flat(pdf)
    # The notice is under the title, before the first section.
    assert flat(pdf).index("Investigational treatment.") < flat(pdf).index("Your sessions")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (PlanStatus.DRAFT, "TENTATIVE"),
        (PlanStatus.ACCEPTED, "CONFIRMED"),
        (PlanStatus.CANCELLED, "CANCELLED"),
    ],
)
def test_18_ics_status_transp_uid_and_words(clinician_client, catalog, today, status, expected):
    plan = make_plan(catalog, today, status=status)
    text = ics(clinician_client, plan)
    events = Calendar.from_ical(text).walk("VEVENT")
    assert {str(e["STATUS"]) for e in events} == {expected}
    assert {str(e["TRANSP"]) for e in events} == {"OPAQUE"}
    assert not any("testserver" in str(e["UID"]) for e in events)
    assert "summary" not in " ".join(str(e["DESCRIPTION"]) for e in events).lower()


def test_18_download_names_differ_per_plan(clinician_client, catalog, today):
    first, second = make_plan(catalog, today), make_plan(catalog, today)
    second.patient = first.patient
    second.save()
    names = {
        clinician_client.get(reverse(view, args=[p.pk]))["Content-Disposition"]
        for p in (first, second)
        for view in ("plan-summary-pdf", "plan-calendar")
    }
    assert len(names) == 4


# 19. Tagged PDF ------------------------------------------------------------------------------


def test_19_pdf_is_tagged(clinician_client, catalog, today):
    content = clinician_client.get(
        reverse("plan-summary-pdf", args=[make_plan(catalog, today).pk])
    ).content
    root = PdfReader(io.BytesIO(content)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]


# 20. What the sources document ---------------------------------------------------------------


def test_20_study_findings_and_the_approval_opinion(clinician_client, catalog, today):
    assert set(EvidenceNote.objects.values_list("source", flat=True)) == {"mayo-2025", "chatham"}
    catalog_page = clinician_client.get(reverse("catalog")).content.decode()
    assert "the course lasted 12 weeks" in catalog_page and "after 6 weeks" in catalog_page
    assert "One surgeon&#x27;s opinion (2025), not a forecast" in catalog_page

    injectable = flat(
        pdf_text(clinician_client, make_plan(catalog, today, slug=INJECTABLE, sessions=2))
    )
    assert "One surgeon's opinion (2025), not a forecast" in injectable
    assert "4–5 years" in injectable
    topical = flat(pdf_text(clinician_client, make_plan(catalog, today)))
    assert "the course lasted 12 weeks" in topical and "[mayo-2025]" in topical
    assert "4–5 years" not in topical


# Every figure comes from the catalog or the clinic's data --------------------------------------

DATE = re.compile(
    r"\b\d{1,2}(?:–\d{1,2})? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"(?: \d{4})?(?: – \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4})?"
)
# Numbers that are structure, not figures: session and page numbering, course numbers,
# source keys, the FDA "as of" year, the 30-150 nm exosome size and identifiers.
STRUCTURE = re.compile(
    r"session \d+ of \d+|\d+ of \d+|Page \d+ of \d+|[Cc]ourse \d+|session \d+|"
    r"regen-2026|mayo-2025|\(as of 2026\)|30–150 nm|(?:one surgeon's )?opinion \(2025\)|"
    r"\d{4}-\d{2}-\d{2}|plan-\d+"
)
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _data_numbers(plans, prices, notes) -> set[str]:
    """Every number the catalog and the clinic's own records hold, as printed."""
    texts = []
    for t in TreatmentType.objects.all():
        for value in (
            t.downtime_min_hours,
            t.downtime_max_hours,
            t.sessions_min,
            t.sessions_max,
            t.interval_count,
            t.results_develop_weeks_min,
            t.results_develop_weeks_max,
        ):
            if value is not None:
                texts += [str(value), str(value // 24) if value >= 24 else ""]
    for price in prices:
        for amount in (price.minimum, price.maximum):
            texts += [f"{amount:,.0f}", f"{amount * 2:,.0f}", f"{amount * 3:,.0f}"]
    texts += [note.text for note in notes]
    for plan in plans:
        texts += [plan.investigational_reference, plan.title]
        for course in plan.courses.all():
            texts += [str(course.sessions), str(course.interval_count)]
            for obj in (course.product, course.lot):
                if obj is not None:
                    texts += [str(v) for v in obj.__dict__.values()]
                    texts += [f"{v:,.0f}" for v in obj.__dict__.values() if isinstance(v, Decimal)]
                    texts += [
                        f"{v.normalize():f}"
                        for v in obj.__dict__.values()
                        if isinstance(v, Decimal)
                    ]
            if course.lot is not None:
                texts += [
                    f"{r.temperature_celsius.normalize():f}"
                    for r in course.lot.storage_checks.all()
                ]
                texts += [str(len(course.lot.storage_checks.all()))]
    return {n.rstrip(".,") for text in texts for n in NUMBER.findall(text)}


def test_every_figure_comes_from_the_catalog_or_the_clinics_data(clinician_client, catalog, today):
    topical = make_plan(catalog, today, sessions=4, ready_by=today + timedelta(days=45))
    lot = product_course(
        topical, lot=ProductLotFactory(size_min_nm=Decimal(20), size_max_nm=Decimal(400))
    )
    StorageCheckFactory(lot=lot, checked_on=today, temperature_celsius=14)
    laser = make_plan(catalog, today, slug=LASER, sessions=2)
    injectable = make_plan(
        catalog, today, slug=INJECTABLE, sessions=3, investigational_reference="IND 031245"
    )
    product_course(injectable, product=ExosomeProductFactory(injectable=True))
    plans = [topical, laser, injectable]
    allowed = _data_numbers(plans, PriceRange.objects.all(), EvidenceNote.objects.all())
    # Totals of two or three sessions and of a series plus a session are sums of catalog prices.
    allowed |= {"2,600", "5,500", "9,000", "18,000", "12,000"}

    strays = {}
    for plan in plans:
        outputs = {
            "page": re.sub(r"<[^>]+>", " ", page(clinician_client, plan).split("<article", 1)[1]),
            "pdf": flat(pdf_text(clinician_client, plan)),
            "ics": ics(clinician_client, plan).split("BEGIN:VEVENT", 1)[1],
        }
        for surface, text in outputs.items():
            text = STRUCTURE.sub(" ", DATE.sub(" ", text.replace("&#x27;", "'")))
            text = re.sub(r"DTSTAMP:\S+|DTSTART\S*|DTEND\S*|UID:\S+", " ", text)
            for number in NUMBER.findall(text):
                if number.rstrip(".,") not in allowed:
                    strays.setdefault((plan.title, surface), set()).add(number)
    assert strays == {}


def test_1_an_investigational_plan_promises_no_developing_results(clinician_client, catalog, today):
    """For a plan of investigational sessions only, whether results appear is what the trial
    studies: no general advice on the summary, its PDF or the calendar says they keep
    developing for weeks. A plan with a documented treatment keeps that advice."""
    plan = make_plan(catalog, today, slug=INJECTABLE, sessions=2)
    html, pdf = page(clinician_client, plan), flat(pdf_text(clinician_client, plan))
    for text in (html, pdf):
        assert "whether and when results appear is what the trial studies" in text
    for text in (html, pdf, ics(clinician_client, plan)):
        assert "Results keep developing" not in text

    documented = make_plan(catalog, today)
    html = page(clinician_client, documented)
    assert "Results keep developing after each session" in html
    assert "Results keep developing for weeks" in html
