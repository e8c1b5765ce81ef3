from django.urls import path

from planner.signing import views

urlpatterns = [
    # Public: the patient's private link (no staff login; see views.public_page).
    path("p/<str:token>/", views.sign_link, name="sign-link"),
    path("p/<str:token>/plan/", views.sign_plan, name="sign-plan"),
    # Staff.
    path("plans/<int:pk>/share/", views.link_create, name="plan-share"),
    path("plans/<int:pk>/share/kiosk/", views.kiosk_start, name="plan-kiosk"),
    path("plans/<int:pk>/share/<int:link_pk>/revoke/", views.link_revoke, name="plan-share-revoke"),
    path("plans/<int:pk>/signed/<int:record_pk>.pdf", views.record_pdf, name="plan-signed-pdf"),
    path("plans/<int:pk>/deposits/", views.deposit_add, name="plan-deposit"),
    path(
        "plans/<int:pk>/deposits/<int:deposit_pk>/void/",
        views.deposit_void,
        name="plan-deposit-void",
    ),
    path("plans/<int:pk>/signing-status/", views.plan_signing_status, name="plan-signing-status"),
]
