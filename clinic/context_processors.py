from django.conf import settings
from django.utils.functional import SimpleLazyObject

from clinic.roles import CLINIC_ADMIN, has_any_role


def clinic(request):
    """Clinic identity for headers and printouts."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_address": settings.CLINIC_ADDRESS,
        "clinic_contact": settings.CLINIC_CONTACT,
        # For the Staff link; lazy, and the roles are cached on the user once a view asks.
        "is_clinic_admin": SimpleLazyObject(lambda: has_any_role(request.user, CLINIC_ADMIN)),
    }
