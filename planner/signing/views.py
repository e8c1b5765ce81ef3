"""The patient's signing pages (public: no staff login, a private link and the date of
birth instead) and the staff side of sharing: create, revoke, kiosk, email, the signed
record's PDF and deposits."""

from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from clinic.client_ip import client_ip
from clinic.forms_util import int_or_none
from clinic.models import EvidenceNote
from clinic.permissions import require_permission
from planner import fragments, summary_pdf
from planner.access import get_plan_for_user
from planner.actions import PlanActionError
from planner.models import Course, Plan
from planner.selectors import plan_outlook_for
from planner.signing import actions
from planner.signing.forms import (
    NO_MATCH,
    AcceptForm,
    DateOfBirthForm,
    DeclineForm,
    DepositForm,
    DepositVoidForm,
    LinkForm,
)
from planner.signing.models import Deposit, ShareLink, SignedRecord, SigningEvent
from planner.signing.selectors import (
    deposit_due,
    link_by_token,
    required_consents,
    shown_hash,
    shown_payload,
)
from planner.summary import plan_summary_context

VERIFIED_KEY = "signing_verified_links"
TOO_MANY = "Too many requests from this address. Wait a few minutes and try again."
LINK_CLOSED_PAGE = "signing/closed.html"


def public_page(view):
    """The patient's pages: no staff login, never cached, never indexed, and the private
    token in the address never sent on to another site as a referrer ("same-origin", not
    "no-referrer": with that, Chromium posts forms with `Origin: null` and CSRF refuses)."""

    @login_not_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    wrapped.public = True
    return wrapped


def _who(request) -> dict:
    return {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")}


def _rate_limited(request, link: ShareLink | None) -> bool:
    """Counted in the database (every app server agrees): requests to the public pages
    from this address (for this link, or for unknown links) within the window. Only the
    first refused request is logged, so a flood does not grow the audit trail."""
    since = timezone.now() - timedelta(minutes=settings.SIGNING_RATE_MINUTES)
    events = SigningEvent.objects.filter(at__gte=since, ip_address=client_ip(request))
    events = events.filter(link=link) if link else events.filter(link__isnull=True)
    if events.exclude(kind=SigningEvent.Kind.RATE_LIMITED).count() < settings.SIGNING_RATE_LIMIT:
        return False
    if not events.filter(kind=SigningEvent.Kind.RATE_LIMITED).exists():
        actions.log_event(
            kind=SigningEvent.Kind.RATE_LIMITED,
            plan=link.plan if link else None,
            link=link,
            **_who(request),
        )
    return True


def _too_many(request):
    return render(request, LINK_CLOSED_PAGE, {"message": TOO_MANY}, status=429)


def _verified(request, link: ShareLink) -> bool:
    return link.pk in request.session.get(VERIFIED_KEY, [])


@dataclass(frozen=True)
class PatientSheet:
    """The plan's summary as the patient is shown it (and as their signed record freezes it),
    with what the rest of their page needs of the plan's courses."""

    title: str
    html: str
    treatment_kinds: frozenset[str]  # the consents asked for follow from them


def _build_patient_sheet(plan: Plan, today) -> PatientSheet:
    """The summary exactly as frozen on the plan (the same one staff print). `plan` comes
    from link_by_token(..., for_summary=True); its courses are read here with their
    treatment, product and lot in one query (and their lots' storage readings in one more)."""
    prefetch_related_objects(
        [plan],
        Prefetch(
            "courses",
            queryset=Course.objects.select_related("treatment", "product", "lot").prefetch_related(
                "lot__storage_checks"  # the summary's storage disclosure reads them
            ),
        ),
    )
    summary = plan_summary_context(
        plan=plan,
        prepared_by=plan.created_by,
        today=today,
        outlook=plan_outlook_for(plan=plan, today=today),
        evidence_notes=list(EvidenceNote.objects.filter(active=True)),
    )
    return PatientSheet(
        title=summary.title,
        html=render_to_string("planner/_summary_body.html", {"summary": summary}),
        treatment_kinds=frozenset(course.treatment.kind for course in plan.courses.all()),
    )


def _patient_sheet(plan: Plan) -> PatientSheet:
    """The patient's summary, kept in the shared cache (planner.fragments) under the plan's
    stamp (everything a summary shows: planner.summary_pdf.plan_stamp), its author and the
    day, like the staff's summary sheet: rendering it was most of the page's time, on every
    open and every tap of Accept. Built afresh, never kept, when the stamp read after the plan
    is of another version of the plan or patient (a save in between)."""
    today = timezone.localdate()
    stamp = summary_pdf.plan_stamp(plan.pk)
    same = stamp is not None and (stamp["version"], stamp["patient_version"]) == (
        plan.version,
        plan.patient.version,
    )
    parts = (
        summary_pdf.summary_parts(stamp=stamp, user=plan.created_by, today=today) if same else None
    )
    return fragments.cached("patient-summary", parts, lambda: _build_patient_sheet(plan, today))


@require_http_methods(["GET", "POST"])
@public_page
def sign_link(request, token):
    """The date-of-birth check. Every token gets the same page and the same answer to a
    wrong date, so nothing tells a stranger whether a plan exists."""
    link = link_by_token(token)
    if _rate_limited(request, link):
        return _too_many(request)
    form = DateOfBirthForm(request.POST or None)
    if request.method == "GET":
        if link:
            actions.link_opened(link=link, **_who(request))
        else:
            actions.log_event(kind=SigningEvent.Kind.UNKNOWN, **_who(request))
        return render(request, "signing/check.html", {"form": form})
    if form.is_valid():
        if link is None:
            actions.log_event(kind=SigningEvent.Kind.UNKNOWN, **_who(request))
        elif actions.link_check(
            link=link, date_of_birth=form.cleaned_data["date_of_birth"], **_who(request)
        ):
            request.session.cycle_key()
            request.session[VERIFIED_KEY] = [*request.session.get(VERIFIED_KEY, []), link.pk]
            return redirect("sign-plan", token=token)
        form.add_error(None, NO_MATCH)
    return render(request, "signing/check.html", {"form": form}, status=400)


@require_http_methods(["GET", "POST"])
@public_page
def sign_plan(request, token):
    """The plan as frozen, its consents, and accept or decline."""
    link = link_by_token(token, for_summary=True)
    if link is None or not _verified(request, link):
        return redirect("sign-link", token=token)
    if _rate_limited(request, link):
        return _too_many(request)
    plan = link.plan
    record = getattr(link, "record", None) if link.used_at else None
    if record is not None:
        return render(request, "signing/done.html", {"record": record, "kiosk": link.kiosk})
    state = link.state(plan_version=plan.version)
    if state != "live":
        actions.log_event(
            kind=SigningEvent.Kind.UNKNOWN, plan=plan, link=link, detail=state, **_who(request)
        )
        return render(request, LINK_CLOSED_PAGE, {"message": actions.LINK_NOT_OPEN}, status=410)
    sheet = _patient_sheet(plan)
    consents = required_consents(plan=plan, kinds=sheet.treatment_kinds)
    due = deposit_due(plan=plan)
    shown = shown_hash(shown_payload(plan=plan, consents=consents, deposit=due))
    accept_form = AcceptForm(initial={"shown": shown}, consents=consents)
    decline_form = DeclineForm(initial={"shown": shown})
    error, status = "", 200
    if request.method == "POST":
        status = 400
        try:
            if request.POST.get("decision") == "decline":
                decline_form = DeclineForm(request.POST)
                if decline_form.is_valid():
                    actions.plan_decline(
                        link=link,
                        reason=decline_form.cleaned_data["reason"],
                        expected_hash=decline_form.cleaned_data["shown"],
                        summary_html=sheet.html,
                        **_who(request),
                    )
                    return redirect("sign-plan", token=token)
            else:
                accept_form = AcceptForm(request.POST, consents=consents)
                if accept_form.is_valid():
                    actions.plan_sign(
                        link=link,
                        typed_name=accept_form.cleaned_data["typed_name"],
                        ticked_consents=accept_form.ticked(),
                        signature_png=accept_form.cleaned_data["signature"],
                        expected_hash=accept_form.cleaned_data["shown"],
                        summary_html=sheet.html,
                        **_who(request),
                    )
                    return redirect("sign-plan", token=token)
        except PlanActionError as refused:
            error = str(refused)
    else:
        actions.link_opened(link=link, **_who(request))
    context = {
        "sheet": sheet,
        "consents": consents,
        "deposit_due": due,
        "accept_form": accept_form,
        "decline_form": decline_form,
        "error": error,
        "link": link,
        "currency": (plan.quote or {}).get("currency") or settings.CURRENCY,
    }
    return render(request, "signing/plan.html", context, status=status)


# Staff side ---------------------------------------------------------------------------------


def _link_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("sign-link", args=[token]))


@require_POST
@require_permission("planner.share_plan")
def link_create(request, pk):
    plan = get_plan_for_user(request, pk)
    form = LinkForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    by_email = request.POST.get("send") == "email"
    try:
        # By email, the link exists only if the message went: the creation and the send are
        # one transaction, so a failed send leaves no link behind (EMAIL_TIMEOUT bounds it).
        with transaction.atomic():
            link, token = actions.link_create(
                plan=plan, user=request.user, expected_version=version, ip=client_ip(request)
            )
            url = _link_url(request, token)
            if by_email:
                _send_link_email(request, plan, link, url)
    except PlanActionError as error:
        messages.error(request, str(error))
        return redirect(plan)
    except EmailNotSent as failure:
        actions.log_event(
            kind=SigningEvent.Kind.EMAIL_FAILED, plan=plan, user=request.user, detail=str(failure)
        )
        messages.error(request, EMAIL_FAILED)
        return redirect(plan)
    return render(
        request,
        "signing/link_created.html",
        {
            "plan": plan,
            "link": link,
            "url": url,
            "qr_svg": _qr_svg(url),
            "sent": "sent" if by_email else "",
        },
    )


EMAIL_FAILED = (
    "The email could not be sent, so no link was created and nothing changed. Try again "
    "later, or create a link to show as a QR code."
)


class EmailNotSent(Exception):
    """The mail server refused or could not be reached; carries the error's kind."""


def _qr_svg(url: str) -> str:
    """The link as an inline SVG QR code, so a patient can open it on their phone."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").split("?>", 1)[-1].strip()


def _send_link_email(request, plan: Plan, link: ShareLink, url: str) -> None:
    from planner.signing.email import send_link

    try:
        send_link(plan=plan, url=url, expires_at=link.expires_at)
    except Exception as error:  # SMTP refused, unreachable, timed out: staff are told
        raise EmailNotSent(type(error).__name__) from error
    actions.log_event(kind=SigningEvent.Kind.EMAILED, plan=plan, link=link, user=request.user)


@require_POST
@require_permission("planner.share_plan")
def link_revoke(request, pk, link_pk):
    plan = get_plan_for_user(request, pk)
    link = get_object_or_404(ShareLink, pk=link_pk, plan=plan)
    try:
        actions.link_revoke(link=link, user=request.user, ip=client_ip(request))
    except PlanActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Link revoked: it no longer opens.")
    return redirect(plan)


@require_POST
@require_permission("planner.share_plan")
def kiosk_start(request, pk):
    """Hand this device to the patient: a kiosk link is made, staff are signed out (the way
    back is a fresh staff login), and the device shows only the patient's pages."""
    plan = get_plan_for_user(request, pk)
    try:
        _link, token = actions.link_create(
            plan=plan,
            user=request.user,
            expected_version=int_or_none(request.POST.get("version")),
            kiosk=True,
            ip=client_ip(request),
        )
    except PlanActionError as error:
        messages.error(request, str(error))
        return redirect(plan)
    logout(request)
    return redirect("sign-link", token=token)


@require_GET
@require_permission("planner.view_plan")
def plan_signing_status(request, pk):
    """Polled by the plan page while a plan waits for the patient: nothing (204) while its
    version is the one the page shows; a full refresh once the patient has signed or
    declined (or anything else changed the plan), so staff see it at once."""
    plan = get_plan_for_user(request, pk)
    if str(plan.version) == request.GET.get("version"):
        return HttpResponse(status=204)
    return HttpResponseClientRefresh()


@require_GET
@require_permission("planner.view_plan")
def record_pdf(request, pk, record_pk):
    plan = get_plan_for_user(request, pk)
    record = get_object_or_404(
        SignedRecord.objects.prefetch_related("consents"), pk=record_pk, plan=plan
    )
    pdf = bytes(record.pdf) if record.pdf else None
    if not pdf:
        from planner.signing.documents import signed_record_pdf

        pdf = actions.record_store_pdf(record=record, pdf=signed_record_pdf(record))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"signed-plan-{plan.pk}-record-{record.pk}.pdf"
    )
    return response


@require_POST
@require_permission("planner.record_deposit")
def deposit_add(request, pk):
    plan = get_plan_for_user(request, pk)
    form = DepositForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else "Deposit"
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect(plan)
    try:
        actions.deposit_record(
            plan=plan,
            amount=form.cleaned_data["amount"],
            received_on=form.cleaned_data["received_on"],
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except PlanActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Deposit recorded.")
    return redirect(plan)


@require_http_methods(["GET", "POST"])
@require_permission("planner.record_deposit")
def deposit_void(request, pk, deposit_pk):
    """Confirm and void a deposit recorded by mistake: it stays listed on the plan, struck
    through, and no longer counts as received. Refused (the page again, nothing saved)
    without a reason, on a stale page or when it is already voided."""
    plan = get_plan_for_user(request, pk)
    deposit = get_object_or_404(
        Deposit.objects.select_related("recorded_by", "voided_by"), pk=deposit_pk, plan=plan
    )
    deposit.plan = plan  # already read; the action checks its version
    form = DepositVoidForm(request.POST or None, initial={"version": plan.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.deposit_void(
                    deposit=deposit,
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except PlanActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Deposit voided: it no longer counts as received.")
                return redirect(plan)
    return render(
        request,
        "signing/deposit_void.html",
        {"plan": plan, "deposit": deposit, "form": form},
        status=status,
    )
