"""Every clinic and planner view declares the permission it needs with @require_permission:
a sweep over the URLconf, so a view added later without one fails here. Plus the decorator's
own behaviour."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from clinic.permissions import require_permission
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK

# Open to anyone signed in, on purpose: home tells a user without a role whom to ask.
OPEN_TO_ANY_SIGNED_IN = {"home"}
# Every signed-in person manages their own second factor (clinic.otp_views); the second step
# itself runs before a session counts as signed in at all.
OPEN_TO_ANY_SIGNED_IN |= {"two-factor", "two-factor-verify", "two-factor-enrol"}
OPEN_TO_ANY_SIGNED_IN |= {"two-factor-recovery-codes"}
# "Stay signed in" on the idle warning renews whoever's session it is.
OPEN_TO_ANY_SIGNED_IN |= {"session-renew"}
OUR_APPS = ("clinic.", "planner.")
# The only pages without a staff login: the patient's private signing link (a token and the
# date of birth instead; tests/planner/signing/test_public_pages.py covers every state).
PUBLIC_PATIENT_PAGES = {"sign-link", "sign-plan"}


def our_views(patterns=None):
    """(url name, view) for every pattern routed to a clinic or planner view."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            # The admin guards itself: clinic.admin_site admits clinic admins only, and each
            # ModelAdmin checks its model's permissions (tests/clinic/test_admin_access.py).
            if entry.namespace != "admin":
                yield from our_views(entry.url_patterns)
        elif isinstance(entry, URLPattern) and entry.callback.__module__.startswith(OUR_APPS):
            yield entry.name, entry.callback


OUR_VIEWS = sorted(our_views(), key=lambda pair: pair[0])


def test_sweep_finds_the_planner_and_catalog_views():
    names = {name for name, _ in OUR_VIEWS}
    assert {"catalog", "patient-list", "plan-detail", "plan-investigational"} <= names


@pytest.mark.parametrize(("name", "view"), OUR_VIEWS, ids=[name for name, _ in OUR_VIEWS])
def test_every_view_declares_its_permission(name, view):
    if name in OPEN_TO_ANY_SIGNED_IN:
        assert not hasattr(view, "required_permissions")
        return
    if name in PUBLIC_PATIENT_PAGES:
        assert view.login_required is False and view.public is True
        assert not hasattr(view, "required_permissions")
        return
    assert getattr(view, "login_required", True), f"{name} is open without login"
    assert getattr(view, "required_permissions", None), f"{name} has no @require_permission"


def test_clinical_sign_offs_declare_clinical_permissions():
    views = dict(OUR_VIEWS)
    assert views["plan-investigational"].required_permissions == (
        "planner.record_investigational_consent",
    )
    assert views["plan-due-diligence"].required_permissions == (
        "planner.acknowledge_due_diligence",
    )


@pytest.mark.django_db
def test_only_clinician_acknowledges_due_diligence():
    def holds(role):
        return (
            Group.objects.get(name=role)
            .permissions.filter(
                content_type__app_label="planner", codename="acknowledge_due_diligence"
            )
            .exists()
        )

    assert holds(CLINICIAN)
    assert not holds(FRONT_DESK)
    assert not holds(CLINIC_ADMIN)


@require_permission("planner.record_investigational_consent")
def sign_off(request):
    return HttpResponse("ok")


@pytest.mark.django_db
def test_decorator_refuses_a_user_without_the_permission(rf, front_desk):
    request = rf.post("/")
    request.user = front_desk

    with pytest.raises(PermissionDenied):
        sign_off(request)


@pytest.mark.django_db
def test_decorator_admits_the_role_holding_it_and_superusers(rf, clinician, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="x" * 20)
    for user in (clinician, superuser):
        request = rf.post("/")
        request.user = user
        assert sign_off(request).status_code == 200


def test_decorator_needs_a_permission():
    with pytest.raises(ValueError):
        require_permission()


def test_a_users_permissions_load_in_one_query(django_assert_num_queries, front_desk):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=front_desk.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("planner.view_plan")
        assert not user.has_perm("planner.record_investigational_consent")
        assert user.has_perms(["planner.add_plan", "planner.change_plan"])
