"""What happens around logins: the session's clock starts, and the event is logged."""

import logging

from clinic import two_factor
from clinic.middleware import stamp_new_session

logger = logging.getLogger("clinic.auth")


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "?") if request is not None else "?"


def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        stamp_new_session(request)
        two_factor.on_password_login(request, user)
    logger.info("login ok: user=%s ip=%s", user.get_username(), _address(request))


def on_logout(sender, request, user, **kwargs):
    name = user.get_username() if user is not None else "?"
    logger.info("logout: user=%s ip=%s", name, _address(request))


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Never log the password; the username is what staff typed.
    logger.warning(
        "login failed: user=%s ip=%s", credentials.get("username", "?"), _address(request)
    )
