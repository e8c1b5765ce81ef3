"""Everything the patient summary shows, gathered in one place for the page, the PDF and
the calendar.

No request and no queries of its own: the caller passes a plan fetched with
planner.access.get_plan_for_user (courses and treatments prefetched) and its outlook from
planner.selectors.plan_outlook_for, so the summary costs the same whatever the plan's size.
Each figure is the catalog's
or the frozen quote's, with the source key it came from; what no source documents reads
"not documented"."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic.catalog_seed import SOURCES
from clinic.due_diligence import QUESTIONS
from clinic.formatting import (
    NOT_DOCUMENTED,
    PRICE_NOT_SET,
    format_celsius,
    format_celsius_range,
    format_count_range,
    format_date,
    format_date_range,
    format_hours_range,
    format_lot_warning,
    format_money_range,
    format_size_range_nm,
    plural,
)
from clinic.models import ExosomeSource, PriceRange, RegulatoryStatus, TreatmentKind, TreatmentType
from planner.estimates import CourseEstimate, PlanEstimate, unpriced_notes
from planner.models import Course, Plan
from planner.patient_info import (
    ASK_ABOUT_THE_PREPARATION,
    EVIDENCE_IS_EARLY,
    EXOSOME_SOURCE_TEXTS,
    GENERAL_AFTERCARE,
    GENERAL_RISKS,
    GENERAL_SOURCES,
    INVESTIGATIONAL_SOURCE,
    INVESTIGATIONAL_WITH_REFERENCE,
    INVESTIGATIONAL_WITHOUT_REFERENCE,
    KIND_TEXTS,
    NOT_FDA_APPROVED,
    PATIENT_GOALS,
    RESULTS_KEEP_DEVELOPING,
    SEE_THE_PRODUCT_SECTION,
    TOPICAL_COSMETIC,
    Statement,
)
from planner.planning import PlanOutlook, drafts_of, price_quote
from planner.scheduling import Interval, ResultsWindow
from planner.timeline import render_timeline_pair, timeline_of
from planner.wording import (
    RESULTS_VARY,
    TRIAL_STUDIES_RESULTS,
    cadence,
    downtime_total_text,
    results_develop_weeks,
    results_sentence,
    word_warnings,
)

CLINIC_SOURCE = "clinic"
NOT_RECORDED = "not recorded"
SOURCE_TITLES = {**SOURCES, CLINIC_SOURCE: "The clinic's own figures"}
UNKNOWN_SOURCE_TITLE = "Recorded by the clinic (no title on file)"
# Short enough for the schedule's notes column; the disclosures say what each one is.
SHORT_SOURCE_LABELS = {
    ExosomeSource.PLATELET: "Platelet-derived",
    ExosomeSource.MSC: "MSC-derived",
    ExosomeSource.PLACENTAL: "Placental / amniotic",
    ExosomeSource.PLANT: "Plant-derived",
    ExosomeSource.SYNTHETIC: "Synthetic (exosome-like)",
}


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# What the summary holds --------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One catalog figure as shown, with the key of the source it came from ('' if none)."""

    text: str
    source: str = ""


@dataclass(frozen=True)
class SessionRow:
    course_index: int  # the course's place in the plan, from 0
    kind: str
    number: int
    of: int
    session_date: date
    treatment_name: str
    downtime_until: str  # a date range, or "not documented"
    notes: tuple[str, ...]
    # Of an investigational treatment: whether and when its results appear is what the
    # trial studies, so no aftercare line of its own promises them (planner/calendar.py).
    investigational: bool = False

    @property
    def downtime_documented(self) -> bool:
        return self.downtime_until != NOT_DOCUMENTED


@dataclass(frozen=True)
class EstimateRow:
    treatment_name: str
    description: str
    unit_price: str  # "USD 600–1,500 each", or "" for a line with no price
    amount: str  # "USD 2,000–4,000", or "price not set"
    source: str
    price_not_set: bool = False
    note: str = ""
    basis: str = ""  # whose price this is, in words


@dataclass(frozen=True)
class TreatmentFacts:
    name: str
    downtime: Fact
    series: Fact
    interval: Fact
    results: Fact
    # An investigational treatment's results are what its trial studies, not a period.
    results_label: str = "Results keep developing for"


@dataclass(frozen=True)
class KindSection:
    kind: str
    label: str
    treatments: tuple[TreatmentFacts, ...]
    what_to_expect: str
    aftercare: tuple[str, ...]
    risks: tuple[Statement, ...]


@dataclass(frozen=True)
class SourceRef:
    key: str
    title: str


@dataclass(frozen=True)
class QuestionAnswer:
    question: str
    answer: str  # the clinic's answer, or NOT_RECORDED
    recorded: bool


@dataclass(frozen=True)
class ProductInfo:
    """What the record holds on a course's exosome product, for the patient; nothing more."""

    course_number: int
    treatment_name: str
    name: str
    manufacturer: str
    source: str
    grade: str
    regulatory: str
    lot_number: str
    lot_expires: date | None
    answers: tuple[QuestionAnswer, ...]  # the four due-diligence questions
    storage_required: str  # the product's requirement: "2 °C to 8 °C"
    storage_log: str  # what the lot's cold-chain log recorded
    lot_facts: tuple[str, ...]  # out-of-range facts: size, expiry before a session


@dataclass(frozen=True)
class PlanSummary:
    plan: Plan
    clinic_name: str
    clinic_address: str
    clinic_contact: str
    prepared_on: date
    prepared_by: str
    status: str
    is_frozen: bool
    quoted_on: date | None
    quote_valid_until: date
    quote_expired: bool

    patient_name: str
    patient_date_of_birth: date | None
    title: str
    indications: tuple[str, ...]
    ready_by: date | None

    sessions: tuple[SessionRow, ...]
    results: tuple[Fact, ...]
    downtime_total: str
    warnings: tuple[str, ...]

    estimate: PlanEstimate
    estimate_rows: tuple[EstimateRow, ...]
    total: str
    total_complete: bool
    total_notes: tuple[str, ...]

    kinds: tuple[KindSection, ...]
    general_aftercare: tuple[str, ...]
    general_risks: tuple[str, ...]
    investigational: bool
    investigational_reference: str
    disclosures: tuple[Statement, ...]
    sources: tuple[SourceRef, ...]
    products: tuple[ProductInfo, ...] = ()
    results_vary: str = RESULTS_VARY
    # Who accepted the open due-diligence questions and lot warnings, and when ("" if nobody
    # needed to, or the acknowledgement no longer covers today's list).
    due_diligence_accepted_by: str = ""
    due_diligence_accepted_at: date | None = None
    session_covers: str = ""
    # A clinic price that takes effect before a session of this plan (drafts only).
    upcoming_prices: tuple[str, ...] = ()
    # The plan as a picture (planner/timeline.py): SVG, every text in it escaped; drawn
    # narrow as well for a phone's screen (CSS shows the one that fits; the PDF the wide one).
    timeline: str = ""
    timeline_narrow: str = ""

    @property
    def paper_default(self) -> str:
        return paper_default()

    @property
    def results_heading(self) -> str:
        """A plan of investigational courses only promises no developing results."""
        if RESULTS_KEEP_DEVELOPING in self.general_aftercare:
            return "Results keep developing after each session"
        return "Results"


def paper_default() -> str:
    """US clinics print on Letter; everyone else on A4."""
    return "letter" if settings.CURRENCY == "USD" else "a4"


# Gathering ---------------------------------------------------------------------------------


def _exosome_source(course: Course) -> str:
    return course.exosome_source or course.treatment.exosome_source


def _session_notes(course: Course) -> tuple[str, ...]:
    notes = []
    source = _exosome_source(course)
    if source in SHORT_SOURCE_LABELS:
        notes.append(SHORT_SOURCE_LABELS[source])
    if course.treatment.is_investigational:
        notes.append("investigational")
    return tuple(notes)


def _session_rows(schedule, courses_by_key: dict[str, Course]) -> tuple[SessionRow, ...]:
    rows = []
    for s in schedule.sessions:
        course = courses_by_key[s.course_key]
        if s.downtime_until_max:
            downtime = format_date_range(s.downtime_until_min, s.downtime_until_max)
        else:
            downtime = NOT_DOCUMENTED
        rows.append(
            SessionRow(
                course_index=int(s.course_key),
                kind=course.treatment.kind,
                number=s.number,
                of=course.sessions,
                session_date=s.session_date,
                treatment_name=s.treatment_name,
                downtime_until=downtime,
                notes=_session_notes(course),
                investigational=course.treatment.is_investigational,
            )
        )
    return tuple(rows)


def _results_fact(window: ResultsWindow, treatment: TreatmentType) -> Fact:
    investigational = treatment.is_investigational
    text = results_sentence(window, investigational=investigational)
    documented = window.developing_until_max is not None and not investigational
    return Fact(text, treatment.figure_source("results_develop") if documented else "")


def _general_aftercare(courses) -> tuple[str, ...]:
    """The advice for every plan; for a plan of investigational courses only, without the
    line that results keep developing: whether they appear is what the trial studies."""
    if all(c.treatment.is_investigational for c in courses):
        return tuple(line for line in GENERAL_AFTERCARE if line != RESULTS_KEEP_DEVELOPING)
    return GENERAL_AFTERCARE


def price_basis(price, *, investigational: bool) -> str:
    """Whose figure a price is: a published typical range is never called the clinic's."""
    if price.trial_pricing == "no_charge":
        return "no charge within the trial, as set by the clinic"
    if price.trial_pricing == "trial":
        return "trial price set by the clinic"
    source = price.source or CLINIC_SOURCE
    if source == CLINIC_SOURCE:
        return "the clinic's own price"
    if investigational:
        return (
            f"typical US range for a high-potency MSC injectable in specialist practices, "
            f"published in {source}; not a trial price: the clinic has not set a price for "
            "the trial"
        )
    return f"typical US range published in {source}; the clinic has not set its own price"


def _estimate_rows(estimate: PlanEstimate, investigational_keys=frozenset()) -> tuple:
    rows = []
    for course in estimate.courses:
        investigational = course.course_key in investigational_keys
        for item in course.line_items:
            price = item.price
            no_charge = price.trial_pricing == "no_charge"
            rows.append(
                EstimateRow(
                    treatment_name=item.treatment_name,
                    description=item.description,
                    unit_price=(
                        f"{format_money_range(price.minimum, price.maximum, price.currency)} each"
                        if item.quantity > 1
                        else ""
                    ),
                    amount=(
                        "no charge"
                        if no_charge
                        else format_money_range(item.total_min, item.total_max, price.currency)
                    ),
                    source=price.source or CLINIC_SOURCE,
                    basis=price_basis(price, investigational=investigational),
                )
            )
        if course.price_not_set:
            unpriced = _unpriced_sessions(course)
            rows.append(
                EstimateRow(
                    treatment_name=course.treatment_name,
                    description=f"{unpriced} session{'' if unpriced == 1 else 's'}",
                    unit_price="",
                    amount=PRICE_NOT_SET,
                    source="",
                    price_not_set=True,
                    note=course.note,
                )
            )
    return tuple(rows)


def _unpriced_sessions(course: CourseEstimate) -> int:
    return course.sessions - sum(item.sessions_covered for item in course.line_items)


def _total(estimate: PlanEstimate) -> str:
    return format_money_range(estimate.total_min, estimate.total_max, estimate.currency)


def _total_notes(estimate: PlanEstimate) -> tuple[str, ...]:
    notes = list(unpriced_notes(estimate.courses))
    if estimate.note:
        notes.append(estimate.note)
    return tuple(notes)


def _treatment_facts(treatment: TreatmentType) -> TreatmentFacts:
    interval = NOT_DOCUMENTED
    if treatment.interval_count:
        # A documented cadence, never a minimum spacing (regen-2026: monthly, for 3 months).
        interval = cadence(Interval(treatment.interval_count, treatment.interval_unit))
        interval = interval[0].upper() + interval[1:]
    weeks = results_develop_weeks(
        treatment.results_develop_weeks_min, treatment.results_develop_weeks_max
    )
    documented_results = weeks != NOT_DOCUMENTED and not treatment.is_investigational
    if treatment.is_investigational:
        weeks = f"{TRIAL_STUDIES_RESULTS[0].upper()}{TRIAL_STUDIES_RESULTS[1:]}"
    return TreatmentFacts(
        name=treatment.name,
        downtime=Fact(
            format_hours_range(treatment.downtime_min_hours, treatment.downtime_max_hours),
            treatment.figure_source("downtime"),
        ),
        series=Fact(
            format_count_range(treatment.sessions_min, treatment.sessions_max, "session"),
            treatment.figure_source("sessions"),
        ),
        interval=Fact(interval, treatment.figure_source("interval")),
        results=Fact(
            weeks if documented_results or treatment.is_investigational else NOT_DOCUMENTED,
            treatment.figure_source("results_develop") if documented_results else "",
        ),
        **({"results_label": "Results"} if treatment.is_investigational else {}),
    )


def _kind_sections(treatments: list[TreatmentType]) -> tuple[KindSection, ...]:
    by_kind: dict[str, list[TreatmentType]] = {}
    for treatment in treatments:
        by_kind.setdefault(treatment.kind, []).append(treatment)
    sections = []
    for kind, members in by_kind.items():
        text = KIND_TEXTS.get(kind)
        sections.append(
            KindSection(
                kind=kind,
                label=TreatmentKind(kind).label if kind in TreatmentKind.values else kind,
                treatments=tuple(_treatment_facts(t) for t in members),
                what_to_expect=text.what_to_expect if text else "",
                aftercare=text.aftercare if text else (),
                risks=text.risks if text else (),
            )
        )
    return tuple(sections)


def _disclosures(plan: Plan, courses: list[Course], treatments: list[TreatmentType]):
    statements = [NOT_FDA_APPROVED]
    reference = plan.investigational_reference.strip()
    for treatment in treatments:
        if treatment.is_investigational:
            template = (
                INVESTIGATIONAL_WITH_REFERENCE if reference else INVESTIGATIONAL_WITHOUT_REFERENCE
            )
            text = template.format(treatment=treatment.name, reference=reference)
            statements.append(Statement(text, INVESTIGATIONAL_SOURCE))
    topical = [
        t.name
        for t in treatments
        if not t.is_investigational and t.regulatory_status == RegulatoryStatus.COSMETIC_TOPICAL
    ]
    if topical:
        text = TOPICAL_COSMETIC.text.format(treatments=" and ".join(topical))
        statements.append(Statement(text, TOPICAL_COSMETIC.source))
    seen_sources = []
    for course in courses:
        source = _exosome_source(course)
        if source in EXOSOME_SOURCE_TEXTS and source not in seen_sources:
            seen_sources.append(source)
            statements.append(EXOSOME_SOURCE_TEXTS[source])
    statements += EVIDENCE_IS_EARLY
    return tuple(statements)


def _source_refs(keys) -> tuple[SourceRef, ...]:
    unique = dict.fromkeys(k for k in keys if k)
    return tuple(SourceRef(k, SOURCE_TITLES.get(k, UNKNOWN_SOURCE_TITLE)) for k in unique)


def _storage_log(check) -> str:
    """What the lot's cold-chain log recorded, beside (never instead of) the requirement."""
    if check.lot is None:
        return "no lot is named yet, so there is no cold-chain log to show"
    readings = list(check.lot.storage_checks.all())
    if not readings:
        return "no readings recorded for this lot"
    outside = [w for w in check.due_diligence.warnings if w.kind == "storage"]
    count = plural(len(readings), "reading")
    if not outside:
        if check.product.storage_min_celsius is None and check.product.storage_max_celsius is None:
            return f"{count} recorded for this lot"
        return f"{count} recorded for this lot, all within the range"
    listed = ", ".join(
        f"{format_celsius(w.temperature)} on {format_date(w.checked_on)}" for w in outside
    )
    return (
        f"{count} recorded for this lot; {len(outside)} outside the range: {listed}"
        if len(readings) > 1
        else f"1 reading recorded for this lot, outside the range: {listed}"
    )


def _characterisation_answer(lot) -> QuestionAnswer:
    question = QUESTIONS["characterisation"]
    if lot is None:
        return QuestionAnswer(question, f"{NOT_RECORDED} (no lot is named yet)", False)
    parts = [
        "particle count "
        + (f"{lot.particles_per_ml:,.0f} per mL" if lot.particles_per_ml else NOT_RECORDED)
    ]
    if lot.size_min_nm is not None and lot.size_max_nm is not None:
        size = format_size_range_nm(lot.size_min_nm, lot.size_max_nm)
        if lot.size_median_nm is not None:
            size += f" (median {lot.size_median_nm.normalize():f} nm)"
    elif lot.size_median_nm is not None:
        size = f"median {lot.size_median_nm.normalize():f} nm"
    else:
        size = NOT_RECORDED
    parts.append(f"size {size}")
    parts.append(f"surface markers {lot.surface_markers.strip() or NOT_RECORDED}")
    if lot.characterisation_document:
        parts.append(f"document {lot.characterisation_document}")
    recorded = NOT_RECORDED not in " ".join(parts)
    return QuestionAnswer(question, f"Lot {lot.lot_number}: " + "; ".join(parts), recorded)


def _answers(check) -> tuple[QuestionAnswer, ...]:
    product = check.product
    source = product.source_cell_line.strip()
    reference = product.regulatory_reference.strip()
    evidence = product.clinical_evidence.strip()
    return (
        QuestionAnswer(QUESTIONS["source"], source or NOT_RECORDED, bool(source)),
        _characterisation_answer(check.lot),
        QuestionAnswer(
            QUESTIONS["regulatory"],
            product.get_regulatory_status_display() + (f" ({reference})" if reference else ""),
            True,
        ),
        QuestionAnswer(QUESTIONS["clinical"], evidence or NOT_RECORDED, bool(evidence)),
    )


def _product_infos(checks) -> tuple[ProductInfo, ...]:
    infos = []
    for check in checks:
        product, lot = check.product, check.lot
        reference = product.regulatory_reference.strip()
        regulatory = product.get_regulatory_status_display() + (
            f" ({reference})" if reference else ""
        )
        infos.append(
            ProductInfo(
                course_number=check.course_number,
                treatment_name=check.treatment_name,
                name=product.name,
                manufacturer=product.manufacturer,
                source=product.get_exosome_source_display(),
                grade=product.get_grade_display(),
                regulatory=regulatory,
                lot_number=lot.lot_number if lot else "",
                lot_expires=lot.expires_on if lot else None,
                answers=_answers(check),
                storage_required=format_celsius_range(
                    product.storage_min_celsius, product.storage_max_celsius
                ),
                storage_log=_storage_log(check),
                lot_facts=tuple(
                    format_lot_warning(w)
                    for w in check.due_diligence.warnings
                    if w.kind != "storage"
                ),
            )
        )
    return tuple(infos)


SESSION_COVERS = (
    "A session price is for one treatment visit: the procedure with the exosome preparation "
    "applied right after it, or one set of injections. The published ranges do not say "
    "whether a consultation or aftercare products are included: ask us."
)


def _upcoming_prices(upcoming, courses_by_key, schedule) -> list[tuple[date, str]]:
    """Each scheduled price of a treatment in the plan that takes effect on or before one of
    its sessions: (effective date, sentence)."""
    last_session = {}
    for s in schedule.sessions:
        treatment = courses_by_key[s.course_key].treatment
        last_session[treatment.pk] = max(
            last_session.get(treatment.pk, s.session_date), s.session_date
        )
    found = []
    for price in sorted(upcoming, key=lambda p: p.effective_from):
        last = last_session.get(price.treatment_id)
        if last is None or price.effective_from > last:
            continue
        amount = (
            "no charge"
            if price.trial_pricing == "no_charge"
            else format_money_range(price.minimum, price.maximum, price.currency)
        )
        basis = price_basis(price_quote(price), investigational=price.treatment.is_investigational)
        found.append(
            (
                price.effective_from,
                f"from {format_date(price.effective_from)}, {price.treatment.name} "
                f"({price.unit_label.lower()}) is {amount} ({basis}). "
                "This estimate uses today's price; sessions from that date may be charged at "
                "the new one.",
            )
        )
    return found


def _due_diligence_accepted(plan: Plan, outlook) -> dict:
    gaps = outlook.due_diligence_gaps
    if not gaps or plan.due_diligence_gaps_acknowledged != "\n".join(gaps):
        return {}
    at = plan.due_diligence_acknowledged_at
    return {
        "due_diligence_accepted_by": _person(plan.due_diligence_acknowledged_by),
        "due_diligence_accepted_at": timezone.localdate(at) if at else None,
    }


def _unique_treatments(courses: list[Course]) -> list[TreatmentType]:
    return list({c.treatment.pk: c.treatment for c in courses}.values())


def plan_summary_context(
    *,
    plan: Plan,
    prepared_by,
    today: date,
    outlook: PlanOutlook,
    upcoming_prices: list[PriceRange] = (),
    evidence_notes=(),
) -> PlanSummary:
    """The summary of `plan` as prepared by `prepared_by` on `today`.

    A presented (frozen) plan shows the figures of its quote, never today's prices, and its
    quote stays valid for QUOTE_VALID_DAYS from the day it was quoted; a draft's estimate is
    valid for as long from today."""
    courses = list(plan.courses.all())
    courses_by_key = {d.key: c for d, c in zip(drafts_of(plan), courses, strict=True)}
    schedule, estimate = outlook.schedule, outlook.estimate
    treatments = _unique_treatments(courses)
    kinds = _kind_sections(treatments)
    routes = {t.route for t in treatments}
    disclosures = _disclosures(plan, courses, treatments) + tuple(
        Statement(note.text, note.source)
        for note in evidence_notes
        if courses and (not note.route or note.route in routes)
    )
    results = tuple(
        _results_fact(window, courses_by_key[window.course_key].treatment)
        for window in schedule.results
    )

    quoted_on = timezone.localdate(plan.quoted_at) if plan.is_frozen and plan.quoted_at else None
    valid_until = (quoted_on or today) + timedelta(days=settings.QUOTE_VALID_DAYS)
    upcoming = [] if plan.is_frozen else _upcoming_prices(upcoming_prices, courses_by_key, schedule)
    if upcoming:
        # A draft's estimate is valid only while today's prices are: never past the day
        # before a new one starts.
        valid_until = min(valid_until, upcoming[0][0] - timedelta(days=1))

    figure_sources = [
        fact.source
        for section in kinds
        for facts in section.treatments
        for fact in (facts.downtime, facts.series, facts.interval, facts.results)
    ]
    figure_sources += [fact.source for fact in results]
    figure_sources += [
        item.price.source or CLINIC_SOURCE for c in estimate.courses for item in c.line_items
    ]
    figure_sources += [s.source for s in disclosures]
    figure_sources += [r.source for k in kinds for r in k.risks]
    figure_sources += [
        key for k in kinds if k.kind in KIND_TEXTS for key in KIND_TEXTS[k.kind].sources
    ]
    figure_sources += list(GENERAL_SOURCES) if kinds else []
    # The plan as a picture, wide and narrow (every text in its SVG escaped).
    timelines = (
        render_timeline_pair(timeline_of(outlook), id_prefix="summary-timeline")
        if schedule.sessions
        else ("", "")
    )

    return PlanSummary(
        plan=plan,
        clinic_name=settings.CLINIC_NAME,
        clinic_address=settings.CLINIC_ADDRESS,
        clinic_contact=settings.CLINIC_CONTACT,
        prepared_on=today,
        prepared_by=_person(prepared_by),
        status=plan.get_status_display(),
        is_frozen=plan.is_frozen,
        quoted_on=quoted_on,
        quote_valid_until=valid_until,
        quote_expired=valid_until < today,
        patient_name=plan.patient.full_name,
        patient_date_of_birth=plan.patient.date_of_birth,
        title=plan.title,
        indications=tuple(PATIENT_GOALS.get(key, key) for key in plan.indications),
        ready_by=plan.ready_by,
        sessions=_session_rows(schedule, courses_by_key),
        results=results,
        downtime_total=downtime_total_text(schedule.downtime_total) if schedule.sessions else "",
        warnings=tuple(
            w.message
            for w in word_warnings(
                schedule.warnings,
                today=today,
                investigational_keys={
                    key for key, c in courses_by_key.items() if c.treatment.is_investigational
                },
                for_patient=True,
            )
        ),
        estimate=estimate,
        estimate_rows=_estimate_rows(
            estimate,
            {key for key, c in courses_by_key.items() if c.treatment.is_investigational},
        ),
        total=_total(estimate),
        total_complete=estimate.complete,
        total_notes=_total_notes(estimate),
        kinds=kinds,
        products=_product_infos(outlook.product_checks),
        **_due_diligence_accepted(plan, outlook),
        session_covers=SESSION_COVERS,
        upcoming_prices=tuple(text[0].upper() + text[1:] for _, text in upcoming),
        general_aftercare=_general_aftercare(courses_by_key.values()) if kinds else (),
        general_risks=(
            GENERAL_RISKS
            + (
                (SEE_THE_PRODUCT_SECTION,)
                if outlook.product_checks
                else (ASK_ABOUT_THE_PREPARATION,)
            )
            if kinds
            else ()
        ),
        investigational=outlook.investigational,
        investigational_reference=plan.investigational_reference.strip(),
        disclosures=disclosures,
        sources=_source_refs(figure_sources),
        timeline=mark_safe(timelines[0]),
        timeline_narrow=mark_safe(timelines[1]),
    )
