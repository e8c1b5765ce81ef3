from django.conf import settings

from clinic.middleware import session_seconds_left


def clinic(request):
    """Clinic identity for headers and printouts; for a signed-in page, how long until the
    idle logoff (the browser warns before it)."""
    signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_address": settings.CLINIC_ADDRESS,
        "clinic_contact": settings.CLINIC_CONTACT,
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_seconds_left": session_seconds_left(request) if signed_in else None,
    }
