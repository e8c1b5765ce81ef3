"""One lookup per guarded object: the permission check and the related rows a page needs,
in one place. Views never fetch patients or plans any other way.

The views declare what they need with @require_permission; the lookups check the view
permission again, by the same mechanism, so a view that forgot its decorator still reads
nothing it should not."""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

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


def get_plan_for_user(request, pk: int) -> Plan:
    check_permission(request.user, "planner.view_plan")
    return get_object_or_404(
        Plan.objects.select_related(
            "patient", "created_by", "updated_by", "investigational_recorded_by"
        ).prefetch_related(
            Prefetch(
                "courses",
                queryset=Course.objects.select_related("treatment", "product", "lot")
                .prefetch_related("lot__storage_checks")
                .order_by("position", "id"),
            )
        ),
        pk=pk,
    )


def get_plan_stamp_for_user(request, pk: int) -> dict:
    """The versions of what plan `pk`'s summary shows (planner.summary_pdf.plan_stamp), after
    the same permission check as get_plan_for_user: one query, for the PDF cache's key."""
    from planner.summary_pdf import plan_stamp

    check_permission(request.user, "planner.view_plan")
    stamp = plan_stamp(pk)
    if stamp is None:
        raise Http404("No plan matches the given query.")
    return stamp
