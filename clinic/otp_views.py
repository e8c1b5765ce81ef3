"""The second-factor pages: the step after the password, enrolment, the account security
page, and a clinic admin's reset of a colleague's factor. Rules in clinic.two_factor."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic import two_factor
from clinic.permissions import require_permission
from clinic.staff.views import get_staff_for_admin

WRONG_CODE = (
    "That code is not right. Type the 6-digit code your authenticator app shows now, "
    "or one of your recovery codes."
)
WRONG_ENROL_CODE = (
    "That code is not right. Check that the phone's clock is right and type the 6-digit "
    "code the app shows now."
)
CODE_REQUIRED = "Type the code."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        error_messages={"required": CODE_REQUIRED},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of the login, for a user who has an authenticator."""
    if request.user.is_verified() or not two_factor.has_authenticator(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if two_factor.is_locked_out(request):
            return _locked_out(request)
        if form.is_valid():
            if two_factor.verify_second_factor(request=request, code=form.cleaned_data["code"]):
                return redirect(_next_url(request))
            if getattr(request, "axes_locked_out", False):
                return _locked_out(request)
            form.add_error("code", WRONG_CODE)
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


def _locked_out(request):
    """End the half-finished login: the password step is refused too until the cool-off."""
    logout(request)
    return render(request, "registration/locked_out.html", status=429)


@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Set up an authenticator: scan the QR code (or type the secret), confirm with a code."""
    if two_factor.has_authenticator(request.user):
        return redirect("two-factor")
    device = two_factor.pending_authenticator(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.two_factor_enrol(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            return _show_recovery_codes(request, codes, next_url=_next_url(request))
        form.add_error("code", WRONG_ENROL_CODE)
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_code": two_factor.qr_code_svg(device),
            "secret": two_factor.secret_for_manual_entry(device),
            "required": two_factor.requires_two_factor(request.user),
        },
    )


def _show_recovery_codes(request, codes, *, next_url):
    # Rendered in the response to the POST that made them, never stored: shown once.
    response = render(
        request, "registration/recovery_codes.html", {"codes": codes, "next": next_url}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def account_security(request):
    user = request.user
    return render(
        request,
        "registration/account_security.html",
        {
            "enrolled": two_factor.has_authenticator(user),
            "required": two_factor.requires_two_factor(user),
            "codes_left": two_factor.recovery_codes_left(user),
        },
    )


@require_POST
def recovery_codes_regenerate(request):
    if not two_factor.has_authenticator(request.user):
        return redirect("two-factor")
    codes = two_factor.recovery_codes_regenerate(user=request.user)
    return _show_recovery_codes(request, codes, next_url=resolve_url("two-factor"))


@require_http_methods(["GET", "POST"])
@require_permission("clinic.manage_staff")
def staff_two_factor_reset(request, user_id):
    """A clinic admin removes a colleague's second factor (a lost or replaced phone)."""
    staff_member = get_staff_for_admin(request, user_id)
    if request.method == "POST":
        two_factor.two_factor_reset(user=staff_member, by=request.user)
        name = staff_member.get_full_name() or staff_member.get_username()
        if two_factor.requires_two_factor(staff_member):
            then = "Their role requires one: they set it up again at their next login."
        else:
            then = "They can set one up again from Account security."
        messages.success(request, f"Second factor removed for {name}. {then}")
        return redirect("staff-edit", pk=staff_member.pk)
    return render(
        request,
        "registration/two_factor_reset.html",
        {
            "staff_member": staff_member,
            "enrolled": two_factor.has_authenticator(staff_member),
            "codes_left": two_factor.recovery_codes_left(staff_member),
        },
    )
