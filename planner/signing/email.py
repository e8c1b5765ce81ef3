"""The signing link by email: the clinic's name, the link and its expiry, and no health
details beyond the plan's title."""

from django.conf import settings
from django.core.mail import EmailMessage

from clinic.formatting import format_date
from planner.models import Plan

SUBJECT = "{clinic}: your treatment plan to read and sign"
BODY = """Hello,

{clinic} has shared your treatment plan "{title}" with you to read and, if you agree,
sign online.

Open this private link (it works until {expires}):
{url}

You will be asked for your date of birth before the plan is shown. Please do not forward
this message: the link is for you alone. If you did not expect it, contact the clinic.

{clinic}
"""


def send_link(*, plan: Plan, url: str, expires_at) -> None:
    """Send the link to the patient's address; raises if there is none or sending fails."""
    if not plan.patient.email:
        raise ValueError("The patient has no email address on file.")
    clinic = settings.CLINIC_NAME
    message = EmailMessage(
        subject=SUBJECT.format(clinic=clinic),
        body=BODY.format(
            clinic=clinic,
            title=plan.title,
            url=url,
            expires=format_date(expires_at.astimezone().date()),
        ),
        to=[plan.patient.email],
    )
    message.send(fail_silently=False)
