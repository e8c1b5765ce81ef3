"""Read-side queries for plans and patients, shaped for pages, the summary and the actions'
checks. Reads only: nothing here writes, and nothing here imports planner.actions."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from clinic.catalog_cache import Catalog, current_catalog
from planner.models import Course, Patient, Plan, PlanStatus
from planner.patient_search import search_keys
from planner.planning import CourseDraft, PlanOutlook, drafts_of, plan_outlook
from planner.prepared import Params, Prepared


def plan_outlook_for(
    *,
    plan: Plan | None,
    today: date,
    drafts: list[CourseDraft] | None = None,
    ready_by: date | None = None,
    catalog: Catalog | None = None,
) -> PlanOutlook:
    """The schedule, estimate and due diligence of `plan` on `today`, at the prices in
    force that day (from the cached catalog: no query when the caller passes it, one
    otherwise; the plan's courses must be prefetched).

    A saved plan is read as saved, its frozen quote included. While staff edit one (or a
    new one, `plan` None), pass the page's `drafts` and `ready_by`: those are figured at
    today's prices, since only a draft, which has no quote, can be edited."""
    if drafts is None:
        drafts, ready_by, frozen_quote = drafts_of(plan), plan.ready_by, plan.quote
    else:
        frozen_quote = None
    return plan_outlook(
        drafts=drafts,
        prices_in_force=(catalog or current_catalog()).prices_in_force(today),
        ready_by=ready_by,
        frozen_quote=frozen_quote,
        today=today,
    )


def user_names(ids: Iterable[int | None], *, known: Iterable = ()) -> dict[int, str]:
    """The names pages show for these users (User.get_full_name(), else the username), by
    id: users already read (`known`) are named as they are, the others in one query (none
    when there are none)."""
    names = {user.pk: user.get_full_name() or user.get_username() for user in known}
    missing = {pk for pk in ids if pk is not None} - names.keys()
    if missing:
        rows = (
            get_user_model()
            .objects.filter(pk__in=missing)
            .values_list("pk", "first_name", "last_name", "username")
        )
        names.update(
            (pk, f"{first} {last}".strip() or username) for pk, first, last, username in rows
        )
    return names


def due_diligence_gaps(*, plan: Plan, today: date) -> list[str]:
    """The open due-diligence questions of the plan's products, as of `today`."""
    return plan_outlook_for(plan=plan, today=today).due_diligence_gaps


def plan_alternatives(*, plan: Plan, limit: int = 20) -> list[dict]:
    """The patient's other plans, newest first, as rows for the 'compare with' links."""
    return [
        {**row, "status": PlanStatus(row["status"]).label}
        for row in Plan.objects.filter(patient=plan.patient)
        .exclude(pk=plan.pk)
        .order_by("-updated_at")
        .values("pk", "title", "status")[:limit]
    ]


def plan_count_subquery():
    """Plans per patient, counted per listed row: a JOIN + GROUP BY would group the whole
    patients table with the whole plans table on every page (38 ms at 100,000 plans)."""
    counts = (
        Plan.objects.filter(patient=OuterRef("pk"))
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


PATIENT_LIST_COLUMNS = (
    "pk",
    "full_name",
    "date_of_birth",
    "phone",
    "email",
    "archived",
    "updated_at",
)


def patient_list_rows(keys: QuerySet) -> QuerySet:
    """The patient list's rows for a page of patient keys (the page's slice of the list's
    ordered primary keys, planner.pagination.window_page), alphabetical: the columns shown
    and each one's number of plans. Counted for these rows only: SQLite counts before it
    sorts, so a page of 25 "garcia"s among 274 counted the plans of all 274."""
    return (
        Patient.objects.filter(pk__in=keys)
        .order_by("full_name", "id")
        .values(*PATIENT_LIST_COLUMNS)
        .annotate(plan_count=plan_count_subquery())
    )


def patient_plans(*, patient: Patient):
    """The patient's plans, newest first, each with its number of courses."""
    return patient.plans.annotate(course_count=Count("courses")).order_by("-updated_at", "-id")


# A phone number shorter than this (an extension, a typo) is not taken as the same patient's.
MIN_PHONE_DIGITS_TO_MATCH = 7
POSSIBLE_DUPLICATES_SHOWN = 5


def possible_duplicates(
    *, full_name: str, date_of_birth: date | None, phone: str, email: str, limit: int = 5
) -> list[Patient]:
    """Patients who may be the one being entered: the same name (any order, accents or case)
    and date of birth, or the same phone number (its digits) or email. One indexed query."""
    keys = search_keys(full_name=full_name, phone=phone, email=email)
    same = Q(pk__in=[])
    if keys["name_key"] and date_of_birth:
        same |= Q(name_key=keys["name_key"], date_of_birth=date_of_birth)
    if len(keys["phone_key"]) >= MIN_PHONE_DIGITS_TO_MATCH:
        same |= Q(phone_key=keys["phone_key"])
    if keys["email_key"]:
        same |= Q(email_key=keys["email_key"])
    return list(
        Patient.objects.filter(same, merged_into__isnull=True).order_by("full_name", "id")[:limit]
    )


# --- finding patients and plans ------------------------------------------------------------
#
# A search that matches few rows is cheapest read through an index; one that matches many is
# cheapest read by walking the list in its own order, which is full after a page of them:
# 274 "garcia"s among 20,000 patients are read by key, while a page of "example" (every seeded
# email) is full after the first 26 names. One query shape is right for one kind and slow for
# the other: a plans search by a patient's name walked all 100,000 plans (240 ms).
# PostgreSQL's planner makes the choice from its statistics, once each query reads one table
# (plans_matching). SQLite keeps no statistics on substrings, so there the search first asks
# the FTS5 table for up to KEYED_MATCHES_MAX matches: all of them means a rare search, read by
# key; more means a common one, walked.

# SQLite's trigram tables (migrations 0013 and 0016) serve words of three characters or more.
FTS_MIN_WORD = 3
# Reading this many rows by key costs about 1 ms on SQLite; a search matching more of 20,000
# patients fills a page within 26 × 20,000 / 1,000 = 520 rows of the walked list.
KEYED_MATCHES_MAX = 1000
PATIENT_FTS = "planner_patient_fts"
TITLE_FTS = "planner_plan_title_fts"


def _fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase: its quotes doubled, so nothing in it is query syntax."""
    return '"' + text.replace('"', '""') + '"'


def _fts_keys(table: str, match: str) -> RawSQL | None:
    """The rowids of `table` (an FTS5 table of this app) matching `match`, as a subquery,
    when there are at most KEYED_MATCHES_MAX of them; None when there are more. One query:
    the count stops at the bound, so a common word costs no more than a rare one."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT %s)",
            [match, KEYED_MATCHES_MAX + 1],
        )
        (found,) = cursor.fetchone()
    if found > KEYED_MATCHES_MAX:
        return None
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [match])


def _sqlite_patient_keys(words: list[str]) -> tuple[RawSQL | None, list[str]]:
    """On SQLite, the ids of the few patients whose text holds the search's words of three
    characters or more (a subquery), and the words still to check on each row; (None, words)
    when those words are common (or there are none): the rows are then checked as the list
    is walked."""
    indexed = [w for w in words if len(w) >= FTS_MIN_WORD]
    keys = _fts_keys(PATIENT_FTS, " AND ".join(map(_fts_phrase, indexed))) if indexed else None
    if keys is None:
        return None, words
    return keys, [w for w in words if len(w) < FTS_MIN_WORD]


def patients_matching(patients: QuerySet[Patient], words: list[str]) -> QuerySet[Patient]:
    """Patients whose folded search text contains every word (planner/patient_search.py)."""
    return _whose_patient_matches(patients, words, via="")


def _whose_patient_matches(queryset: QuerySet, words: list[str], *, via: str) -> QuerySet:
    """The rows whose patient matches every word: patients themselves (`via` ""), or rows
    that reach their patient through `via` ("patient__" for plans, a join). On PostgreSQL the
    pg_trgm GIN index serves `LIKE '%word%'` whenever the planner finds that cheaper than
    walking the list; on SQLite a rare search is read by the ids its FTS5 table gives (one
    query before the page's), a common one walked (see above)."""
    if connection.vendor == "sqlite":
        keys, words = _sqlite_patient_keys(words)
        if keys is not None:
            queryset = queryset.filter(**{f"{via}pk__in": keys})
    for word in words:
        queryset = queryset.filter(**{f"{via}search_text__contains": word})
    return queryset


def _plans_titled(plans: QuerySet[Plan], text: str) -> QuerySet[Plan]:
    plans = plans.filter(title__icontains=text)
    if connection.vendor == "sqlite" and len(text) >= FTS_MIN_WORD:
        # The FTS5 table folds case beyond ASCII, LIKE does not: its rows are candidates,
        # and icontains still decides.
        keys = _fts_keys(TITLE_FTS, _fts_phrase(text))
        if keys is not None:
            plans = plans.filter(pk__in=keys)
    return plans


def plans_matching(plans: QuerySet[Plan], *, text: str, words: list[str], rows: int):
    """Of `plans`, those whose title contains `text` or whose patient the patient search
    finds by `words`, as a queryset holding at least the `rows` newest of them (order it
    newest first, then slice within `rows`).

    Each half is found on its own and only its `rows` newest are kept: the patients' plans
    through the (patient, newest) index or by walking the newest plans, the titles through
    their trigram index or by walking, whichever is cheaper for that half (PostgreSQL's
    planner decides per half; SQLite as patients_matching does). One OR over both made
    either engine walk the plans newest first until a page was full: every plan, 240 ms at
    100,000, for a patient's name."""
    newest = ("-updated_at", "-id")
    firsts = [
        half.order_by(*newest).values("pk")[:rows]
        for half in (
            _plans_titled(plans, text),
            _whose_patient_matches(plans, words, via="patient__") if words else plans.none(),
        )
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        return plans.filter(pk__in=firsts[0].union(firsts[1]))
    # SQLite: no LIMIT inside a UNION's parts, but an OR of two short id lists is read
    # by key from each.
    return plans.filter(Q(pk__in=firsts[0]) | Q(pk__in=firsts[1]))


# A screen of sessions names each one's course: read here for the screen's courses rather
# than joined to each session row (on PostgreSQL every table joined cost the query more to
# plan than to run: 1.8 ms against 0.5 for a lot page's sessions).
COURSES_PER_SCREEN = 40
_COURSES = Prepared(
    lambda: (
        Course.objects.alias(course_key=ExpressionWrapper(F("id"), output_field=IntegerField()))
        .filter(course_key__in=Params("courses", IntegerField(), COURSES_PER_SCREEN))
        .values("id", "sessions", "treatment__name", "treatment__kind")
    )
)


def courses_by_id(course_ids) -> dict[int, dict]:
    """Up to COURSES_PER_SCREEN courses: each one's number of sessions and its treatment's
    name and kind, by course id. One query (none for no course)."""
    course_ids = set(course_ids)
    if not course_ids:
        return {}
    return {row["id"]: row for row in _COURSES.bind(courses=course_ids).all()}
