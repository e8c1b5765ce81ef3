from django.urls import path

from planner.board import report_views

urlpatterns = [
    path("reports/", report_views.report_page, name="reports"),
    path("reports/<slug:slug>.csv", report_views.report_csv, name="report-csv"),
]
