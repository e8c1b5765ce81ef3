"""One lookup per guarded object: the permission check and the related rows a page needs,
in one place. Views never fetch patients or plans any other way."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from clinic.roles import require_role
from planner.models import Course, Patient, Plan


def get_patient_for_user(request, pk: int) -> Patient:
    require_role(request)
    return get_object_or_404(Patient.objects.select_related("created_by", "updated_by"), pk=pk)


def patients_for_user(request):
    require_role(request)
    return Patient.objects.all()


def plans_for_user(request):
    require_role(request)
    return Plan.objects.select_related("patient")


def get_plan_for_user(request, pk: int) -> Plan:
    require_role(request)
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
