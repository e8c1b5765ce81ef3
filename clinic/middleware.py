"""Login and session rules that apply to every request."""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import redirect, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from clinic import two_factor

SESSION_STARTED_KEY = "clinic_session_started"
SESSION_REFRESHED_KEY = "clinic_session_refreshed"
# Renewing the idle deadline costs a write; once a minute is precise enough for a 15-minute
# limit and keeps ordinary page views free of session writes.
REFRESH_EVERY_SECONDS = 60


def stamp_new_session(request) -> None:
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_REFRESHED_KEY] = now


class ClinicLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login-required rule, plus: an htmx request whose session has expired sends
    the whole browser to the login page instead of swapping the login form into a fragment."""

    def handle_no_permission(self, request, view_func):
        if getattr(request, "htmx", False):
            login_url = resolve_url(self.get_login_url(view_func))
            next_url = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(f"{login_url}?next={quote(next_url)}")
        return super().handle_no_permission(request, view_func)


class SessionLifetimeMiddleware:
    """Idle logoff and an absolute lifetime.

    The idle limit is the session's own expiry (SESSION_COOKIE_AGE), pushed forward by
    saving the session at most once a minute while the user is active. Independently, a
    session ends SESSION_MAX_HOURS after login however active it has been."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                stamp_new_session(request)
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
            elif now - request.session.get(SESSION_REFRESHED_KEY, 0) >= REFRESH_EVERY_SECONDS:
                request.session[SESSION_REFRESHED_KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """A user who gave the right password but not yet the second factor gets only the
    second step (or, where their role requires a factor they do not have, enrolment) and
    logout; every other page sends them there. See clinic.two_factor."""

    OPEN_DURING_SECOND_STEP = {"two-factor-verify", "two-factor-enrol", "logout"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.OPEN_DURING_SECOND_STEP:
            return None
        step = two_factor.needs_second_step(request)
        if step is None:
            return None
        step_url = resolve_url(f"two-factor-{step}")
        if getattr(request, "htmx", False):
            current = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(f"{step_url}?next={quote(current)}")
        return redirect(f"{step_url}?next={quote(request.get_full_path())}")
