from django.urls import path

from planner.delivery import views

urlpatterns = [
    path("sessions/", views.session_day, name="session-day"),
    path("sessions/<int:pk>/perform/", views.session_perform, name="session-perform"),
    path("sessions/<int:pk>/reschedule/", views.session_reschedule, name="session-reschedule"),
    path("sessions/<int:pk>/close/", views.session_close, name="session-close"),
    path(
        "sessions/<int:pk>/adverse-event/",
        views.adverse_event_create,
        name="session-adverse-event",
    ),
    path("plans/<int:pk>/complete/", views.plan_complete, name="plan-complete"),
    path("lots/", views.lot_list, name="lot-list"),
    path("lots/<int:pk>/", views.lot_detail, name="lot-detail"),
    path("lots/<int:pk>/status/", views.lot_change_status, name="lot-status"),
    path("lots/<int:pk>/readings/", views.lot_storage_reading, name="lot-storage-reading"),
    path("lots/<int:pk>/recall.csv", views.lot_recall_csv, name="lot-recall-csv"),
    path(
        "lots/<int:pk>/letters/<int:patient_pk>/",
        views.lot_recall_letter,
        name="lot-recall-letter",
    ),
    path(
        "lots/<int:pk>/letters/<int:patient_pk>.pdf",
        views.lot_recall_letter_pdf,
        name="lot-recall-letter-pdf",
    ),
    path(
        "lots/<int:pk>/contacted/<int:patient_pk>/",
        views.lot_recall_contacted,
        name="lot-recall-contacted",
    ),
]
