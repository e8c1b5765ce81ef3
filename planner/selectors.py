"""Read-side queries for plans and patients, shaped for pages, the summary and the actions'
checks. Reads only: nothing here writes, and nothing here imports planner.actions."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from clinic.catalog_cache import Catalog, current_catalog
from planner.models import Patient, Plan, PlanStatus
from planner.patient_search import search_keys
from planner.planning import CourseDraft, PlanOutlook, drafts_of, plan_outlook


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


# SQLite's trigram index (migration 0012) serves words of three characters or more.
FTS_MIN_WORD = 3


def patients_matching(patients: QuerySet[Patient], words: list[str]) -> QuerySet[Patient]:
    """Patients whose folded search text contains every word (planner/patient_search.py).
    On PostgreSQL the pg_trgm GIN index serves `LIKE '%word%'`; on SQLite the words of three
    characters or more go through the FTS5 trigram table, which finds the few matching rows
    without reading every patient. The words are folded to [0-9a-z], so quoting each as an
    FTS phrase is safe."""
    if connection.vendor == "sqlite":
        indexed = [w for w in words if len(w) >= FTS_MIN_WORD]
        if indexed:
            patients = patients.filter(
                pk__in=RawSQL(
                    "SELECT rowid FROM planner_patient_fts WHERE planner_patient_fts MATCH %s",
                    [" AND ".join(f'"{w}"' for w in indexed)],
                )
            )
        words = [w for w in words if len(w) < FTS_MIN_WORD]
    for word in words:
        patients = patients.filter(search_text__contains=word)
    return patients
