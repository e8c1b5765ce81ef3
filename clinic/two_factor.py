"""The second factor for staff sign-in: an authenticator app (TOTP) plus single-use recovery
codes, both django-otp devices.

Rules:
- A session counts as verified once a code from one of the user's devices was accepted
  (django-otp's `user.is_verified()`); until then clinic.middleware.SecondFactorMiddleware
  serves only the second step, enrolment and logout.
- Clinic admins and superusers must have an authenticator; everyone else may enrol.
- Wrong codes are login failures for django-axes, so they count toward the same lockout as
  wrong passwords; the count is reset only once the whole login is complete.
"""

import logging
from base64 import b32encode

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger("clinic.auth")

# Set at login for a user who then had no authenticator, so that every later page of that
# session is spared the device query. A device set up in another session takes effect in
# this one at its next login (sessions last at most SESSION_MAX_HOURS; a password change
# ends them at once).
NO_AUTHENTICATOR_AT_LOGIN = "clinic_no_authenticator_at_login"

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


def requires_two_factor(user) -> bool:
    """Whoever can change staff accounts or the catalog (clinic admins; superusers hold every
    permission) must sign in with a second factor."""
    return user.has_perm("clinic.manage_staff") or user.has_perm("clinic.use_admin")


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_second_step(request) -> str | None:
    """For a logged-in session not yet verified: "verify" when the user has an
    authenticator, "enrol" when their role requires one they lack, None otherwise."""
    user = request.user
    if not request.session.get(NO_AUTHENTICATOR_AT_LOGIN) and has_authenticator(user):
        return "verify"
    return "enrol" if requires_two_factor(user) else None


def on_password_login(request, user) -> None:
    """Called on every login: without an authenticator, the password completed it."""
    if not has_authenticator(user):
        request.session[NO_AUTHENTICATOR_AT_LOGIN] = True
        login_completed(request, user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_authenticator(*, user) -> TOTPDevice:
    """The not-yet-confirmed device an enrolment page shows, kept across reloads so the QR
    code a user already scanned stays valid."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The key as authenticator apps ask for it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG (no XML declaration, no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").split("?>", 1)[-1].strip()


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones, returned once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_CODES_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    logger.info("recovery codes issued: user=%s", user.get_username())
    return codes


@transaction.atomic
def two_factor_enrol(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm `device` with a code from the app; on success the session is verified and the
    new recovery codes are returned (to be shown once). None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
    if not device.verify_token(_normalise(code)):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_regenerate(user=device.user)
    otp_login(request, device)
    request.session.pop(NO_AUTHENTICATOR_AT_LOGIN, None)
    logger.info("two-factor enrolled: user=%s", device.user.get_username())
    return codes


def verify_second_factor(*, request, code: str):
    """Check a code from the app or a recovery code (which is then used up). On success
    mark the session verified and complete the login; on failure count a login failure
    for django-axes, which may lock the account (request.axes_locked_out)."""
    user = request.user
    code = _normalise(code)
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if code and device.verify_token(code):
                break
        else:
            device = None
    if device is None:
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        logger.warning("two-factor failed: user=%s", user.get_username())
        return None
    otp_login(request, device)
    login_completed(request, user)
    logger.info(
        "two-factor ok: user=%s with=%s",
        user.get_username(),
        "recovery code" if isinstance(device, StaticDevice) else "authenticator",
    )
    return device


def is_locked_out(request) -> bool:
    AxesProxyHandler.update_request(request)
    return AxesProxyHandler.is_locked(request, {"username": request.user.get_username()})


def login_completed(request, user) -> None:
    """Forget this user's failed attempts from this address, as django-axes would on a
    successful login (AXES_RESET_ON_SUCCESS is off so the password alone does not)."""
    address = get_client_ip_address(request) if request is not None else None
    if address:
        AxesProxyHandler.reset_attempts(ip_address=address, username=user.get_username())


@transaction.atomic
def two_factor_reset(*, user, by) -> int:
    """Delete every second-factor device of `user` (e.g. a lost phone). They enrol again at
    their next login if their role requires it. Returns how many devices were removed."""
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    logger.warning(
        "two-factor reset: user=%s by=%s devices=%d",
        user.get_username(),
        by.get_username(),
        removed,
    )
    return removed
