from django.conf import settings


def clinic(request):
    """Clinic identity for headers and printouts."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_address": settings.CLINIC_ADDRESS,
        "clinic_contact": settings.CLINIC_CONTACT,
    }
