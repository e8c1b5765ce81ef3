"""Login and session rules that apply to every request."""

import logging
import math
import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django_htmx.http import HttpResponseClientRedirect

from clinic import two_factor

logger = logging.getLogger(__name__)

SESSION_STARTED_KEY = "clinic_session_started"
SESSION_REFRESHED_KEY = "clinic_session_refreshed"
# Renewing the idle deadline costs a write; once a minute is precise enough for a 15-minute
# limit and keeps ordinary page views free of session writes.
REFRESH_EVERY_SECONDS = 60


SECONDS_LEFT_HEADER = "X-Session-Seconds-Left"
# The session is saved a moment after its stamp, so it ends a moment after stamp + age. The
# browser reloads at the deadline it is given; were that deadline early, the reload would
# find the session still open and a page saying "0 seconds left", and reload again.
DEADLINE_GRACE_SECONDS = 1


def session_seconds_left(request) -> int:
    """Seconds until the browser should reload to find itself signed out: the session expires
    SESSION_COOKIE_AGE after it was last saved, which is no earlier than the last refresh
    stamp (kept to the fraction of a second: whole seconds made the answer up to one
    second early), plus the grace above."""
    now = time.time()
    refreshed = request.session.get(SESSION_REFRESHED_KEY, now)
    remaining = settings.SESSION_COOKIE_AGE - (now - refreshed)
    return max(0, math.ceil(remaining)) + DEADLINE_GRACE_SECONDS


def renew_session(request) -> None:
    """Push the idle deadline forward now ("Stay signed in"), not at the next minute."""
    request.session[SESSION_REFRESHED_KEY] = time.time()


def stamp_new_session(request) -> None:
    now = time.time()
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
                request.session[SESSION_REFRESHED_KEY] = time.time()
        response = self.get_response(request)
        if request.user.is_authenticated:
            # The browser warns before the idle logoff (static/js/session.js); htmx requests
            # renew the session too, so each response says how long is left now.
            response[SECONDS_LEFT_HEADER] = str(session_seconds_left(request))
        return response


class PrivateResponseMiddleware:
    """Nothing shown to a logged-in user may be kept by a browser or proxy cache: patient
    pages, plans, summaries, PDFs and calendars all carry health details, and a shared
    clinic machine's back button or disk cache must not bring them back after logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


DATABASE_UNAVAILABLE = (
    "The database could not be reached for a moment, so nothing was saved. Try again in a "
    "few seconds."
)
INPUT_KEPT = "What you typed is still on this page."


class DatabaseUnavailableMiddleware:
    """A database that is briefly unavailable (a PostgreSQL restart, a read-only SQLite file)
    gets a page in the app's layout saying nothing was saved, instead of a bare 500; an htmx
    request gets the message in place, so the page and what was typed on it stay."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception)
        if getattr(request, "htmx", False):
            response = HttpResponse(
                f'<p class="message message-error">{escape(DATABASE_UNAVAILABLE)} {INPUT_KEPT}</p>',
                status=503,
            )
            # base.html's htmx-config lets a 503 swap, into the alert region every page has.
            response["HX-Retarget"] = "#server-error"
            response["HX-Reswap"] = "innerHTML"
            return response
        try:
            return render(
                request, "db_unavailable.html", {"message": DATABASE_UNAVAILABLE}, status=503
            )
        except Exception:  # the layout itself may need the database (the user, the messages)
            return HttpResponse(
                f"<!doctype html><title>Not saved</title><p>{escape(DATABASE_UNAVAILABLE)}</p>",
                status=503,
            )


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
