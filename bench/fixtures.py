"""What the bench and the load test run against: a clinician, a patient with plans of known
shapes (written through the app's own save action, history included), and the requests to
time. Works on any migrated database, seeded with seed_demo or not."""

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from clinic.models import ExosomeProduct, IntervalUnit, ProductLot, StorageCheck, TreatmentType
from clinic.roles import CLINICIAN
from planner import actions
from planner.forms.plans import COURSE_PREFIX
from planner.models import Patient, Plan, PlanStatus
from planner.planning import CourseDraft
from planner.signing import actions as signing

BENCH_USERNAME = "bench-clinician"
BENCH_PATIENT = "Bench Example-Patient"
BENCH_BIRTH_DATE = date(1985, 4, 23)
SIGNING_PLAN = "Bench plan: shown to the patient"
# A surname seed_demo uses, so the search finds a realistic number of rows at any size.
SEARCH_TERM = "garcia"
# The bench patient, found by its name's words reversed and by its phone's digits.
SEARCH_WORDS = "patient bench"
SEARCH_PHONE = "2025550100"
# The plan the issue names: 3 courses × 6 sessions. The 1- and 12-course plans only show
# that query counts do not depend on the plan's size.
PLAN_SHAPES = {"plan": (3, 6), "one_course": (1, 1), "twelve_courses": (12, 6)}


@dataclass(frozen=True)
class BenchData:
    user_id: int
    patient_id: int
    plan_ids: dict[str, int]  # PLAN_SHAPES name -> plan id
    # The lot that reached the most patients (its recall page has the most rows).
    lot_id: int | None = None
    # The private link of a presented plan: shown once, so only the run that made it has it.
    signing_token: str = ""

    @property
    def plan_id(self) -> int:
        return self.plan_ids["plan"]


def bench_user():
    user, created = get_user_model().objects.get_or_create(
        username=BENCH_USERNAME, defaults={"first_name": "Bench", "last_name": "Clinician"}
    )
    if created:
        user.set_unusable_password()  # sessions come from force_login only
        user.save()
        user.groups.add(Group.objects.get(name=CLINICIAN))
    return user


def bench_product() -> tuple[ExosomeProduct, ProductLot]:
    """A topical product with a lot and two cold-chain readings, so the due-diligence path
    of the planner runs too."""
    product, _ = ExosomeProduct.objects.get_or_create(
        manufacturer="Bench Biologics",
        name="Bench exosome serum",
        defaults={
            "exosome_source": "msc",
            "source_cell_line": "Umbilical-cord MSC line UC-12",
            "grade": "medical",
            "route_topical": True,
            "regulatory_status": "cosmetic_topical",
            "clinical_evidence": "Split-face trial, n=40",
            "storage_min_celsius": Decimal("2"),
            "storage_max_celsius": Decimal("8"),
        },
    )
    today = timezone.localdate()
    lot, created = ProductLot.objects.get_or_create(
        product=product,
        lot_number="BENCH-1",
        defaults={
            "received_on": today - timedelta(days=30),
            "expires_on": today + timedelta(days=700),
            "particles_per_ml": Decimal("1000000000000"),
            "size_median_nm": Decimal("95"),
            "size_min_nm": Decimal("40"),
            "size_max_nm": Decimal("140"),
            "surface_markers": "CD9, CD63, CD81",
            "characterisation_document": "CoA BENCH-1",
        },
    )
    if created:
        for days_ago, celsius in ((29, "4"), (10, "5")):
            StorageCheck.objects.create(
                lot=lot, checked_on=today - timedelta(days=days_ago), temperature_celsius=celsius
            )
    return product, lot


def course_drafts(courses: int, sessions: int, *, today: date) -> list[CourseDraft]:
    """One course after the other, cycling through the catalog's three treatments at their
    documented interval (4 weeks where none is documented); each microneedling course
    names the bench product and lot. Every first session stays within the editor's
    five-year limit."""
    by_slug = {t.slug: t for t in TreatmentType.objects.filter(active=True)}
    cycle = [
        by_slug["microneedling-topical-exosome"],
        by_slug["fractional-laser-topical-exosome"],
        by_slug["injectable-msc-exosome"],
    ]
    product, lot = bench_product()
    spacing = min(200, 1580 // max(courses - 1, 1))
    drafts = []
    for index in range(courses):
        treatment = cycle[index % len(cycle)]
        with_product = treatment.slug.startswith("microneedling")
        drafts.append(
            CourseDraft(
                key=str(index),
                treatment=treatment,
                sessions=sessions,
                interval_count=treatment.interval_count or 4,
                interval_unit=treatment.interval_unit or IntervalUnit.WEEKS,
                first_session=today + timedelta(days=14 + spacing * index),
                exosome_source=product.exosome_source if with_product else "",
                product=product if with_product else None,
                lot=lot if with_product else None,
            )
        )
    return drafts


def create_bench_data() -> BenchData:
    """The bench's user, patient and plans; call on a migrated database (loads the catalog)."""
    call_command("load_catalog", stdout=io.StringIO())
    user = bench_user()
    patient = actions.patient_save(
        patient=None,
        changes={
            "full_name": BENCH_PATIENT,
            "date_of_birth": BENCH_BIRTH_DATE,
            "phone": "+1 202 555 0100",
            "email": "bench.patient@example.com",
        },
        user=user,
    )
    today = timezone.localdate()
    plan_ids = {}
    for name, (courses, sessions) in PLAN_SHAPES.items():
        drafts = course_drafts(courses, sessions, today=today)
        plan = actions.plan_save(
            plan=None,
            patient=patient,
            fields=actions.PlanFields(
                title=f"Bench plan: {courses} × {sessions}",
                indications=["skin_quality"],
                ready_by=drafts[-1].first_session + timedelta(days=sessions * 31 + 60),
                notes="Benchmark plan.",
            ),
            drafts=drafts,
            user=user,
        )
        plan_ids[name] = plan.pk
    return BenchData(
        user_id=user.pk,
        patient_id=patient.pk,
        plan_ids=plan_ids,
        lot_id=busiest_lot_id(),
        signing_token=signing_link(patient, user, today=today),
    )


def busiest_lot_id() -> int | None:
    """The lot planned for or used in the most sessions (seed_demo's data)."""
    from planner.models import TreatmentSession

    busiest = (
        TreatmentSession.objects.exclude(planned_lot=None)
        .values("planned_lot")
        .annotate(n=Count("id"))
        .order_by("-n", "planned_lot")
        .first()
    )
    return busiest["planned_lot"] if busiest else bench_product()[1].pk


def signing_link(patient, user, *, today: date) -> str:
    """A one-course plan presented to the bench patient and its private link's token."""
    plan = actions.plan_save(
        plan=None,
        patient=patient,
        fields=actions.PlanFields(
            title=SIGNING_PLAN, indications=["skin_quality"], ready_by=None, notes=""
        ),
        drafts=[
            CourseDraft(
                key="0",
                treatment=TreatmentType.objects.get(slug="microneedling-topical-exosome"),
                sessions=3,
                interval_count=4,
                interval_unit=IntervalUnit.WEEKS,
                first_session=today + timedelta(days=14),
                exosome_source="",
            )
        ],
        user=user,
    )
    plan = actions.plan_transition(
        plan=plan, to_status=PlanStatus.PRESENTED, user=user, expected_version=plan.version
    )
    _link, token = signing.link_create(plan=plan, user=user, expected_version=plan.version)
    return token


def find_bench_data() -> BenchData:
    """The bench data create_bench_data left in this database (the newest, if several)."""
    patient = Patient.objects.filter(full_name=BENCH_PATIENT).latest("pk")
    plans = {p.title: p.pk for p in patient.plans.all()}
    plan_ids = {
        name: plans[f"Bench plan: {courses} × {sessions}"]
        for name, (courses, sessions) in PLAN_SHAPES.items()
    }
    user = get_user_model().objects.get(username=BENCH_USERNAME)
    return BenchData(
        user_id=user.pk, patient_id=patient.pk, plan_ids=plan_ids, lot_id=busiest_lot_id()
    )


def editor_post_data(plan_id: int) -> dict[str, str]:
    """What the plan editor's form posts on a recalculation (htmx includes the whole form)."""
    plan = Plan.objects.prefetch_related("courses").get(pk=plan_id)
    courses = list(plan.courses.order_by("position", "id"))
    data = {
        "title": plan.title,
        "indications": list(plan.indications),
        "ready_by": plan.ready_by.isoformat() if plan.ready_by else "",
        "notes": plan.notes,
        "version": str(plan.version),
        f"{COURSE_PREFIX}-TOTAL_FORMS": str(len(courses)),
        f"{COURSE_PREFIX}-INITIAL_FORMS": "0",
    }
    for index, course in enumerate(courses):
        row = {
            "treatment": course.treatment_id,
            "sessions": course.sessions,
            "interval_count": course.interval_count,
            "interval_unit": course.interval_unit,
            "first_session": course.first_session.isoformat(),
            "exosome_source": course.exosome_source,
            "product": course.product_id or "",
            "lot": course.lot_id or "",
        }
        for name, value in row.items():
            data[f"{COURSE_PREFIX}-{index}-{name}"] = str(value)
    return data


@dataclass(frozen=True)
class Endpoint:
    name: str
    label: str
    path: str
    method: str = "get"
    data: dict = field(default_factory=dict)
    htmx: bool = False
    slow: bool = False  # timed fewer times (the PDF)
    expect: str = ""  # text the response must contain: the bench never times an error page


def endpoints(data: BenchData, plan_id: int | None = None) -> list[Endpoint]:
    """Every request the bench times, for the 3 × 6 plan unless another plan is given."""
    pk = plan_id or data.plan_id
    return [
        Endpoint("floor", "floor view", reverse("bench-floor"), expect="active treatments"),
        Endpoint(
            "recalculation",
            "recalculation (htmx)",
            reverse("plan-edit", args=[pk]),
            method="post",
            data=editor_post_data(pk),
            htmx=True,
            expect='id="plan-total"',
        ),
        Endpoint("plan_page", "plan page", reverse("plan-detail", args=[pk]), expect="<h1"),
        Endpoint("plan_editor", "plan editor page", reverse("plan-edit", args=[pk]), expect="<h1"),
        Endpoint("summary_html", "summary HTML", reverse("plan-summary", args=[pk]), expect="<h1"),
        Endpoint(
            "summary_pdf",
            "summary PDF",
            reverse("plan-summary-pdf", args=[pk]),
            slow=True,
            expect="%PDF",
        ),
        Endpoint("patient_list", "patients list", reverse("patient-list"), expect="<table"),
        Endpoint(
            "patient_search",
            "patients search",
            f"{reverse('patient-list')}?q={SEARCH_TERM}",
            expect="<table",
        ),
        Endpoint(
            "patient_search_words",
            "patients search, two words in any order",
            f"{reverse('patient-list')}?{urlencode({'q': SEARCH_WORDS})}",
            expect="<table",
        ),
        Endpoint(
            "patient_search_phone",
            "patients search, phone digits",
            f"{reverse('patient-list')}?q={SEARCH_PHONE}",
            expect="<table",
        ),
        Endpoint("plan_list", "plans list", reverse("plan-list"), expect="<table"),
        Endpoint(
            "plan_search",
            "plans search",
            f"{reverse('plan-list')}?q={SEARCH_TERM}",
            expect="<table",
        ),
        Endpoint(
            # A name few patients have: the plans search once walked every plan for it.
            "plan_search_patient",
            "plans search, one patient's name",
            f"{reverse('plan-list')}?{urlencode({'q': SEARCH_WORDS})}",
            expect="<table",
        ),
        Endpoint(
            "plan_list_status",
            "plans list, status filter",
            f"{reverse('plan-list')}?status=draft",
            expect="<table",
        ),
        Endpoint(
            "patient_page",
            "patient page",
            reverse("patient-detail", args=[data.patient_id]),
            expect="<h1",
        ),
        *after_the_quote(data),
    ]


def after_the_quote(data: BenchData) -> list[Endpoint]:
    """The pages of this round that work on seed_demo's delivery and signing rows."""
    pages = []
    if data.lot_id:
        pages.append(
            Endpoint(
                "lot_page",
                "lot and recall page",
                reverse("lot-detail", args=[data.lot_id]),
                expect="<h1",
            )
        )
    if data.signing_token:
        pages.append(
            Endpoint(
                "signing_page",
                "patient signing page",
                reverse("sign-plan", args=[data.signing_token]),
                expect="<h1",
            )
        )
    return pages


def open_signing_link(client, data: BenchData) -> None:
    """The patient's date-of-birth check, once per client: the signing page needs it."""
    if data.signing_token:
        client.post(
            reverse("sign-link", args=[data.signing_token]),
            {"date_of_birth": BENCH_BIRTH_DATE.isoformat()},
        )


# The requests whose query count must not depend on the plan's size (1 vs 12 courses).
PER_PLAN = ("recalculation", "plan_page", "plan_editor", "summary_html", "summary_pdf")
