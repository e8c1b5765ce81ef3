from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from clinic import otp_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("catalog/", views.catalog, name="catalog"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/session/renew/", views.session_renew, name="session-renew"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password-changed")),
        name="password-change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password-changed",
    ),
    path("", include("clinic.staff.urls")),
    path("accounts/two-factor/", otp_views.account_security, name="two-factor"),
    path("accounts/two-factor/verify/", otp_views.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/enrol/", otp_views.two_factor_enrol, name="two-factor-enrol"),
    path(
        "accounts/two-factor/recovery-codes/",
        otp_views.recovery_codes_regenerate,
        name="two-factor-recovery-codes",
    ),
    path(
        "staff/<int:user_id>/reset-two-factor/",
        otp_views.staff_two_factor_reset,
        name="staff-two-factor-reset",
    ),
    path("admin/", admin.site.urls),
    path("", include("planner.urls")),
]
