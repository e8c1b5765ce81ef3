from django.urls import include, path

from planner.views import patients, plans, summary

urlpatterns = [
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new/", patients.patient_create, name="patient-create"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="patient-edit"),
    path("patients/<int:pk>/merge/", patients.patient_merge_choose, name="patient-merge-choose"),
    path("patients/<int:pk>/merge/do/", patients.patient_merge, name="patient-merge"),
    path("plans/", plans.plan_list, name="plan-list"),
    path("plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/status/", plans.plan_transition, name="plan-transition"),
    path(
        "plans/<int:pk>/investigational/",
        plans.plan_record_investigational,
        name="plan-investigational",
    ),
    path(
        "plans/<int:pk>/due-diligence/",
        plans.plan_acknowledge_due_diligence,
        name="plan-due-diligence",
    ),
    path("plans/<int:pk>/duplicate/", plans.plan_duplicate, name="plan-duplicate"),
    path("plans/<int:pk>/delete/", plans.plan_delete_draft, name="plan-delete-draft"),
    path("plans/<int:pk>/compare/<int:other_pk>/", plans.plan_compare, name="plan-compare"),
    path("plans/<int:pk>/summary/", summary.plan_summary, name="plan-summary"),
    path("plans/<int:pk>/summary.pdf", summary.plan_summary_pdf, name="plan-summary-pdf"),
    path(
        "plans/<int:pk>/summary.pdf/preparing/",
        summary.plan_summary_pdf_preparing,
        name="plan-summary-pdf-preparing",
    ),
    path("plans/<int:pk>/calendar.ics", summary.plan_calendar, name="plan-calendar"),
    path("", include("planner.board.urls")),
    path("", include("planner.signing.urls")),
    path("", include("planner.delivery.urls")),
    path("", include("planner.board.report_urls")),
]
