"""One lookup per guarded object: the permission check and the related rows a page needs,
in one place. Views never fetch patients or plans any other way.

The views declare what they need with @require_permission; the lookups check the view
permission again, by the same mechanism, so a view that forgot its decorator still reads
nothing it should not."""

import functools

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from clinic.catalog_cache import Catalog, catalog_for, token_annotation, with_catalog_rows
from clinic.permissions import check_permission
from planner.models import Course, Patient, Plan


def get_patient_for_user(request, pk: int) -> Patient:
    check_permission(request.user, "planner.view_patient")
    return get_object_or_404(Patient.objects.select_related("created_by", "updated_by"), pk=pk)


def patients_for_user(request):
    check_permission(request.user, "planner.view_patient")
    return Patient.objects.all()


def plans_for_user(request):
    check_permission(request.user, "planner.view_plan")
    return Plan.objects.select_related("patient")


# The people the plan page names (the plan's author is never named there).
PLAN_PEOPLE = ("updated_by", "investigational_recorded_by")


def get_plan_for_user(request, pk: int) -> Plan:
    check_permission(request.user, "planner.view_plan")
    return get_object_or_404(
        Plan.objects.select_related("patient", *PLAN_PEOPLE).prefetch_related(
            Prefetch(
                "courses",
                queryset=Course.objects.select_related("treatment", "product", "lot")
                .prefetch_related("lot__storage_checks")
                .order_by("position", "id"),
            )
        ),
        pk=pk,
    )


# Built once: copied, never changed, by the queries that use it.
COURSES = Prefetch("courses", queryset=Course.objects.order_by("position", "id"))


def get_plan_with_catalog(
    request,
    pk: int,
    *,
    people: tuple[str, ...] = PLAN_PEOPLE,
    courses: bool = True,
    annotations: dict | None = None,
) -> tuple[Plan, Catalog]:
    """The plan with its patient and courses, and the cached catalog (clinic/catalog_cache.py)
    for pages that only read: the catalog's token is read in the plan's query, and the
    courses' treatments, products and lots come from the catalog. Three queries on a warm
    catalog instead of five. `people` are the users joined (the plan page names the last
    editor; the editor and the summary name nobody, so they pass none); without `courses`
    (the plan page reads them only when its kept reading is out of date: planner.plan_page)
    the courses are not read. `annotations` are read in the plan's query too. An editor
    fragment has a lookup of its own (get_plan_for_editor)."""
    check_permission(request.user, "planner.view_plan")
    plans = Plan.objects.select_related("patient", *people).annotate(
        catalog_token=token_annotation(), **(annotations or {})
    )
    plan = get_object_or_404(plans.prefetch_related(COURSES) if courses else plans, pk=pk)
    catalog = catalog_for(plan.catalog_token)
    if courses:
        with_catalog_rows(plan.courses.all(), catalog)
    return plan, catalog


# What an editor fragment reads of the plan (planner.forms.editor.PlanEditor without a save).
EDITOR_FIELDS = ("status", "version", "title", "indications", "ready_by", "notes")


@functools.cache
def _editor_sql() -> tuple[str, str]:
    """The two queries of an editor fragment, compiled by the ORM once per process."""
    plan_sql, params = (
        Plan.objects.only(*EDITOR_FIELDS)
        .annotate(catalog_token=token_annotation())
        .filter(pk=0)
        .order_by()
        .query.sql_with_params()
    )
    course_sql, course_params = (
        Course.objects.filter(plan_id=0).order_by("position", "id").query.sql_with_params()
    )
    assert params == course_params == (0,), "the plan's id must be their only parameter"
    return plan_sql, course_sql


def get_plan_for_editor(request, pk: int) -> tuple[Plan, list[Course], Catalog]:
    """For an editor fragment (recalculate, add, remove, refresh), which shows no patient: the
    plan's editable fields (EDITOR_FIELDS: any other column would be read by a query of its
    own) with the catalog's token, its courses with the catalog's rows, and the catalog. The
    same two queries as get_plan_with_catalog, written out once (_editor_sql): the ORM would
    build and compile them on every recalculation, a tenth of its time."""
    check_permission(request.user, "planner.view_plan")
    plan_sql, course_sql = _editor_sql()
    plan = next(iter(Plan.objects.raw(plan_sql, [pk])), None)
    if plan is None:
        raise Http404("No plan matches the given query.")
    courses = list(Course.objects.raw(course_sql, [pk]))
    catalog = catalog_for(plan.catalog_token)
    with_catalog_rows(courses, catalog)
    return plan, courses, catalog


def get_plan_stamp_for_user(request, pk: int) -> dict:
    """The versions of what plan `pk`'s summary shows (planner.summary_pdf.plan_stamp), after
    the same permission check as get_plan_for_user: one query, for the PDF cache's key."""
    from planner.summary_pdf import plan_stamp

    check_permission(request.user, "planner.view_plan")
    stamp = plan_stamp(pk)
    if stamp is None:
        raise Http404("No plan matches the given query.")
    return stamp
