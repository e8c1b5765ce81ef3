"""The bridge between stored rows and the pure engine: catalog rows and course drafts in,
a schedule and an estimate out; plus the frozen quote's JSON form.

Nothing here queries the database: callers pass in the treatments and the price ranges in
force, fetched once, so a page costs the same number of queries whatever the plan's size."""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from clinic.due_diligence import DueDiligence, LotWarning, assess
from clinic.formatting import format_lot_warning
from clinic.models import ExosomeProduct, PriceRange, ProductLot, TreatmentType
from planner.estimates import (
    CourseEstimate,
    CoursePricing,
    LineItem,
    PlanEstimate,
    PriceQuote,
    PriceUnit,
    estimate_plan,
)
from planner.scheduling import CourseInput, Interval, Schedule, build_schedule
from planner.wording import WordedWarning, results_sentence, word_warnings


@dataclass(frozen=True)
class CourseDraft:
    """A course as entered on the page (saved or not)."""

    key: str
    treatment: TreatmentType
    sessions: int
    interval_count: int
    interval_unit: str
    first_session: date
    exosome_source: str = ""
    product: ExosomeProduct | None = None
    lot: ProductLot | None = None


@dataclass(frozen=True)
class ProductCheck:
    """The due diligence on the product (and lot) one course names."""

    course_key: str
    course_number: int
    treatment_name: str
    product: ExosomeProduct
    lot: ProductLot | None
    due_diligence: DueDiligence


@dataclass(frozen=True)
class PlanOutlook:
    schedule: Schedule
    estimate: PlanEstimate
    # Today's estimate for a plan whose quote is frozen, when the figures differ.
    current_estimate: PlanEstimate | None = None
    # Any course uses an investigational (not FDA-approved) treatment.
    investigational: bool = False
    product_checks: tuple[ProductCheck, ...] = ()
    # The schedule's warnings as staff read them (planner/wording.py).
    warnings: tuple[WordedWarning, ...] = ()
    # One sentence per course: how long its results keep developing (planner/wording.py).
    results: tuple[str, ...] = ()
    # Courses of an investigational treatment that name no product (or no lot) yet.
    investigational_without_product: tuple[str, ...] = ()
    # The keys of the courses of an investigational treatment: their results are what the
    # trial studies, so no picture draws them developing (planner/timeline.py).
    investigational_courses: frozenset[str] = frozenset()
    # What the outlook was figured against, so a picture of it (planner/timeline.py) needs
    # nothing else.
    ready_by: date | None = None
    today: date | None = None

    @property
    def due_diligence_gaps(self) -> list[str]:
        """One line per open question and per lot warning a clinician must accept (a size
        outside 30-150 nm, a storage reading outside the range), per course; an acknowledgement
        covers exactly these lines."""
        lines = []
        for check in self.product_checks:
            prefix = f"Course {check.course_number} ({check.product.name}): "
            if not check.due_diligence.complete:
                lines.append(prefix + "; ".join(check.due_diligence.gaps))
            lines += [
                prefix + format_lot_warning(w)
                for w in check.due_diligence.warnings
                if not w.blocks_presenting
            ]
        return lines

    @property
    def blocking_lot_warnings(self) -> list[LotWarning]:
        """An expired lot, or one that expires before a session it is planned for."""
        return [
            w
            for check in self.product_checks
            for w in check.due_diligence.warnings
            if w.blocks_presenting
        ]

    @property
    def prices_changed(self) -> bool:
        return self.current_estimate is not None


def drafts_of(plan) -> list[CourseDraft]:
    """The plan's saved courses as drafts, keyed by their place in the plan; uses the
    prefetched courses (planner.access.get_plan_for_user), so it costs no query."""
    return [
        CourseDraft(
            key=str(index),
            treatment=c.treatment,
            sessions=c.sessions,
            interval_count=c.interval_count,
            interval_unit=c.interval_unit,
            first_session=c.first_session,
            exosome_source=c.exosome_source,
            product=c.product,
            lot=c.lot,
        )
        for index, c in enumerate(plan.courses.all())
    ]


def shown_fingerprint(drafts: list[CourseDraft], gaps: list[str]) -> str:
    """A digest of what a clinician saw when signing something off: every course (treatment,
    sessions, spacing, first date, product, lot) and the open due-diligence questions. The
    plan's version catches edits to the plan; this also catches what changes around it
    (a product record edited in the catalog admin changes the gaps)."""
    parts = [
        "|".join(
            str(value)
            for value in (
                draft.treatment.pk if draft.treatment else "",
                draft.sessions,
                draft.interval_count,
                draft.interval_unit,
                draft.first_session,
                draft.product.pk if draft.product else "",
                draft.lot.pk if draft.lot else "",
            )
        )
        for draft in drafts
    ]
    return hashlib.sha256("\n".join([*parts, "--", *gaps]).encode()).hexdigest()[:32]


def gaps_text(gaps: list[str]) -> str:
    """The due-diligence gaps as a clinician acknowledges them: compared as text, so a
    changed gap needs a new acknowledgement."""
    return "\n".join(gaps)


def catalog_interval(treatment: TreatmentType) -> Interval | None:
    if treatment.interval_count is None:
        return None
    return Interval(treatment.interval_count, treatment.interval_unit)


def course_input(draft: CourseDraft) -> CourseInput:
    t = draft.treatment
    return CourseInput(
        key=draft.key,
        treatment_name=t.name,
        sessions=draft.sessions,
        interval=Interval(draft.interval_count, draft.interval_unit),
        first_session=draft.first_session,
        downtime_min_hours=t.downtime_min_hours,
        downtime_max_hours=t.downtime_max_hours,
        results_develop_weeks_min=t.results_develop_weeks_min,
        results_develop_weeks_max=t.results_develop_weeks_max,
        catalog_interval=catalog_interval(t),
        typical_sessions_min=t.sessions_min,
        typical_sessions_max=t.sessions_max,
    )


def price_quote(price: PriceRange) -> PriceQuote:
    return PriceQuote(
        unit=PriceUnit(price.unit),
        series_size=price.series_size,
        minimum=price.minimum,
        maximum=price.maximum,
        currency=price.currency,
        source=price.attributed_source,
        effective_from=price.effective_from,
        price_range_id=price.pk,
        trial_pricing=price.trial_pricing,
    )


def course_pricing(draft: CourseDraft, prices_in_force: Iterable[PriceRange]) -> CoursePricing:
    return CoursePricing(
        course_key=draft.key,
        treatment_name=draft.treatment.name,
        sessions=draft.sessions,
        prices=tuple(
            price_quote(p) for p in prices_in_force if p.treatment_id == draft.treatment.pk
        ),
    )


def current_estimate(drafts: Sequence[CourseDraft], prices_in_force: Sequence[PriceRange]):
    return estimate_plan([course_pricing(d, prices_in_force) for d in drafts])


def plan_outlook(
    *,
    drafts: Sequence[CourseDraft],
    prices_in_force: Sequence[PriceRange],
    ready_by: date | None,
    frozen_quote: dict | None = None,
    today: date | None = None,
) -> PlanOutlook:
    today = today or timezone.localdate()
    schedule = build_schedule([course_input(d) for d in drafts], ready_by=ready_by)
    todays_estimate = current_estimate(drafts, prices_in_force)
    investigational = [d for d in drafts if d.treatment.is_investigational]
    investigational_keys = {d.key for d in investigational}
    common = {
        "schedule": schedule,
        "ready_by": ready_by,
        "today": today,
        "investigational": bool(investigational),
        "product_checks": product_checks(drafts, schedule, today),
        "warnings": word_warnings(
            schedule.warnings,
            today=today,
            investigational_keys=investigational_keys,
        ),
        "results": tuple(
            results_sentence(w, investigational=w.course_key in investigational_keys)
            for w in schedule.results
        ),
        "investigational_without_product": tuple(
            d.treatment.name for d in investigational if d.product is None
        ),
        "investigational_courses": frozenset(investigational_keys),
    }
    if frozen_quote is None:
        return PlanOutlook(estimate=todays_estimate, **common)
    frozen = estimate_from_quote(frozen_quote)
    return PlanOutlook(
        estimate=frozen,
        current_estimate=None if same_figures(frozen, todays_estimate) else todays_estimate,
        **common,
    )


def product_checks(
    drafts: Sequence[CourseDraft], schedule: Schedule, today: date
) -> tuple[ProductCheck, ...]:
    """Due diligence for every course that names a product; the lot's storage readings must
    be prefetched (`storage_checks`), so this costs no query."""
    checks = []
    for number, draft in enumerate(drafts, start=1):
        if draft.product is None:
            continue
        planned = [
            (s.number, s.session_date) for s in schedule.sessions if s.course_key == draft.key
        ]
        checks.append(
            ProductCheck(
                course_key=draft.key,
                course_number=number,
                treatment_name=draft.treatment.name,
                product=draft.product,
                lot=draft.lot,
                due_diligence=assess(
                    draft.product,
                    lot=draft.lot,
                    readings=draft.lot.storage_checks.all() if draft.lot else (),
                    today=today,
                    planned_sessions=planned,
                ),
            )
        )
    return tuple(checks)


def same_figures(a: PlanEstimate, b: PlanEstimate) -> bool:
    def figures(e: PlanEstimate):
        return [
            (li.description, li.quantity, li.price.minimum, li.price.maximum, li.price.currency)
            for c in e.courses
            for li in c.line_items
        ] + [(e.total_min, e.total_max, e.complete)]

    return figures(a) == figures(b)


# --- the frozen quote, stored as JSON on the plan -------------------------------------------

QUOTE_FORMAT = 1


def _money(value: Decimal) -> str:
    return str(value)


def quote_from_estimate(estimate: PlanEstimate) -> dict:
    """A self-contained JSON copy of every figure the patient is shown."""

    def price(p: PriceQuote) -> dict:
        data = asdict(p)
        data.update(
            unit=str(p.unit),
            minimum=_money(p.minimum),
            maximum=_money(p.maximum),
            effective_from=p.effective_from.isoformat(),
        )
        return data

    return {
        "format": QUOTE_FORMAT,
        "currency": estimate.currency,
        "total_min": _money(estimate.total_min),
        "total_max": _money(estimate.total_max),
        "complete": estimate.complete,
        "note": estimate.note,
        "courses": [
            {
                "course_key": c.course_key,
                "treatment_name": c.treatment_name,
                "sessions": c.sessions,
                "price_not_set": c.price_not_set,
                "note": c.note,
                "total_min": _money(c.total_min),
                "total_max": _money(c.total_max),
                "currency": c.currency,
                "line_items": [
                    {
                        "description": li.description,
                        "quantity": li.quantity,
                        "sessions_covered": li.sessions_covered,
                        "total_min": _money(li.total_min),
                        "total_max": _money(li.total_max),
                        "price": price(li.price),
                    }
                    for li in c.line_items
                ],
            }
            for c in estimate.courses
        ],
    }


def estimate_from_quote(quote: dict) -> PlanEstimate:
    def price(data: dict) -> PriceQuote:
        return PriceQuote(
            unit=PriceUnit(data["unit"]),
            series_size=data["series_size"],
            minimum=Decimal(data["minimum"]),
            maximum=Decimal(data["maximum"]),
            currency=data["currency"],
            source=data["source"],
            effective_from=date.fromisoformat(data["effective_from"]),
            price_range_id=data["price_range_id"],
            trial_pricing=data.get("trial_pricing", ""),
        )

    courses = []
    for c in quote["courses"]:
        items = tuple(
            LineItem(
                course_key=c["course_key"],
                treatment_name=c["treatment_name"],
                description=li["description"],
                quantity=li["quantity"],
                sessions_covered=li["sessions_covered"],
                price=price(li["price"]),
                total_min=Decimal(li["total_min"]),
                total_max=Decimal(li["total_max"]),
            )
            for li in c["line_items"]
        )
        courses.append(
            CourseEstimate(
                course_key=c["course_key"],
                treatment_name=c["treatment_name"],
                sessions=c["sessions"],
                line_items=items,
                price_not_set=c["price_not_set"],
                note=c["note"],
                total_min=Decimal(c["total_min"]),
                total_max=Decimal(c["total_max"]),
                currency=c["currency"],
            )
        )
    return PlanEstimate(
        courses=tuple(courses),
        total_min=Decimal(quote["total_min"]),
        total_max=Decimal(quote["total_max"]),
        currency=quote["currency"],
        complete=quote["complete"],
        note=quote["note"],
    )
