"""The Staff page: a clinic admin creates and edits staff (one role each), resets passwords
and ends lockouts; the rules in clinic.staff.actions; the audit log; and who may get in."""

import re
from html import unescape

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from clinic.passwords import PREDICTABLE_PASSWORD
from clinic.roles import ALL_ROLES, CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from clinic.staff import actions
from clinic.staff.models import StaffChange
from clinic.text import NAME_INVISIBLE
from tests.conftest import user_with_role
from tests.factories.accounts import UserFactory, force_verified_login

pytestmark = pytest.mark.django_db

User = get_user_model()
LIST = reverse("staff-list")
CREATE = reverse("staff-create")
LOGIN = reverse("login")
PASSWORD = "correct-horse-battery"


def edit_url(user):
    return reverse("staff-edit", args=[user.pk])


def roles(user) -> set[str]:
    return set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))


def new_staff(**overrides) -> dict:
    return {
        "first_name": "Rosa",
        "last_name": "Desk",
        "email": "rosa@clinic.example",
        "username": "rosa",
        "role": FRONT_DESK,
        "password": "",
        **overrides,
    }


def edit_data(user, **overrides) -> dict:
    role = next(iter(roles(user)), "")
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "username": user.username,
        "role": role,
        "is_active": "on" if user.is_active else "",
        "version": actions.staff_version(user),
        **overrides,
    }


def page_text(response) -> str:
    return unescape(response.content.decode())


def lock_out(username: str):
    client = Client()
    for _ in range(5):
        client.post(LOGIN, {"username": username, "password": "wrong password"})
    assert client.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 429


# Who may get in


@pytest.mark.parametrize("role_client", ["desk_client", "clinician_client"])
def test_staff_pages_forbidden_to_other_roles(request, role_client, front_desk):
    client = request.getfixturevalue(role_client)

    for url in (
        LIST,
        CREATE,
        edit_url(front_desk),
        reverse("staff-password", args=[front_desk.pk]),
        reverse("staff-unlock", args=[front_desk.pk]),
    ):
        response = client.post(url) if "password" in url or "unlock" in url else client.get(url)
        assert response.status_code == 403, url


def test_staff_pages_forbidden_without_role(client, no_role_user):
    client.force_login(no_role_user)

    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, new_staff()).status_code == 403
    assert not User.objects.filter(username="rosa").exists()


def test_staff_edit_unknown_id_404(admin_client_clinic):
    assert admin_client_clinic.get(reverse("staff-edit", args=[999999])).status_code == 404


def test_staff_edit_refuses_get_on_post_endpoints(admin_client_clinic, front_desk):
    assert admin_client_clinic.get(reverse("staff-unlock", args=[front_desk.pk])).status_code == 405
    assert (
        admin_client_clinic.get(reverse("staff-password", args=[front_desk.pk])).status_code == 405
    )


def test_staff_nav_link_for_clinic_admins_only(clinic_admin, front_desk):
    for user, shown in ((clinic_admin, True), (front_desk, False)):
        client = Client()
        force_verified_login(client, user)
        html = client.get(reverse("home")).content.decode()
        assert (">Staff</a></li>" in html) is shown, user


# The list


def test_staff_list_shows_roles_and_who_is_locked_out(
    admin_client_clinic, front_desk, clinician, django_assert_max_num_queries
):
    for n in range(5):
        user_with_role(FRONT_DESK, username=f"desk{n}")
    lock_out("desk")

    with django_assert_max_num_queries(10):
        response = admin_client_clinic.get(LIST)

    assert response.status_code == 200
    rows = {row["account"].username: row for row in response.context["rows"]}
    assert rows["desk"]["role"] == FRONT_DESK
    assert rows["desk"]["locked"] is True
    assert rows["clinician"]["locked"] is False
    assert rows["clinicadmin"]["role"] == CLINIC_ADMIN
    assert "Locked out" in page_text(response)


def test_staff_list_escapes_names(admin_client_clinic):
    user_with_role(FRONT_DESK, username="xss", first_name="<script>alert(1)</script>")

    html = admin_client_clinic.get(LIST).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


# Create


def test_create_front_desk_with_generated_password_shown_once(admin_client_clinic, clinic_admin):
    response = admin_client_clinic.post(CREATE, new_staff())

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = re.search(r'data-testid="temporary-password">([^<]+)<', response.content.decode())[1]
    user = User.objects.get(username="rosa")
    assert roles(user) == {FRONT_DESK}
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert (
        Client().post(LOGIN, {"username": "rosa", "password": unescape(password)}).status_code
        == 302
    )
    change = StaffChange.objects.get(user=user)
    assert (change.actor, change.action) == (clinic_admin, StaffChange.Action.CREATED)


def test_create_clinic_admin_gets_staff_status(admin_client_clinic):
    password = "violet-harbour-anvil-42"
    response = admin_client_clinic.post(CREATE, new_staff(role=CLINIC_ADMIN, password=password))

    user = User.objects.get(username="rosa")
    assert response.status_code == 302
    assert response.url == edit_url(user)
    assert roles(user) == {CLINIC_ADMIN}
    assert user.is_staff and not user.is_superuser
    assert user.check_password(password)


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "qwertyuiopas", "short"])
def test_create_weak_typed_password_refused(admin_client_clinic, password):
    response = admin_client_clinic.post(CREATE, new_staff(password=password))

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not User.objects.filter(username="rosa").exists()


def test_create_predictable_password_message_shown(admin_client_clinic):
    response = admin_client_clinic.post(CREATE, new_staff(password="qwertyuiopas"))

    assert PREDICTABLE_PASSWORD in page_text(response)


@pytest.mark.parametrize("name", ["\u200b", "\u202e", "\u2066\u2069", "\u200b \u200d\ufeff"])
def test_create_invisible_name_refused(admin_client_clinic, name):
    response = admin_client_clinic.post(CREATE, new_staff(first_name=name))

    assert response.context["form"].errors["first_name"] == [NAME_INVISIBLE]
    assert not User.objects.filter(username="rosa").exists()


def test_create_requires_one_of_the_three_roles(admin_client_clinic):
    response = admin_client_clinic.post(CREATE, new_staff(role="superuser"))

    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="rosa").exists()


def test_create_taken_username_refused_on_the_field(admin_client_clinic, front_desk):
    response = admin_client_clinic.post(CREATE, new_staff(username="desk"))

    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert User.objects.filter(username="desk").count() == 1


def test_create_form_has_labelled_fields_and_one_role_dropdown(admin_client_clinic):
    html = admin_client_clinic.get(CREATE).content.decode()

    for field in ("first_name", "last_name", "email", "username", "role", "password"):
        assert f'<label for="id_{field}">' in html, field
    assert html.count("<select") == 1
    assert "superuser" not in html.lower()
    assert "is_staff" not in html


# Edit


def test_edit_changes_role_to_exactly_one_group(admin_client_clinic, front_desk):
    response = admin_client_clinic.post(edit_url(front_desk), edit_data(front_desk, role=CLINICIAN))

    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert roles(front_desk) == {CLINICIAN}
    assert not front_desk.is_staff


def test_edit_to_clinic_admin_and_back_sets_staff_status(admin_client_clinic, front_desk):
    admin_client_clinic.post(edit_url(front_desk), edit_data(front_desk, role=CLINIC_ADMIN))
    front_desk.refresh_from_db()
    assert front_desk.is_staff and roles(front_desk) == {CLINIC_ADMIN}

    admin_client_clinic.post(edit_url(front_desk), edit_data(front_desk, role=FRONT_DESK))
    front_desk.refresh_from_db()
    assert not front_desk.is_staff and roles(front_desk) == {FRONT_DESK}


def test_edit_deactivate_logged_in_audit(admin_client_clinic, clinic_admin, front_desk):
    admin_client_clinic.post(edit_url(front_desk), edit_data(front_desk, is_active=""))

    front_desk.refresh_from_db()
    assert not front_desk.is_active
    change = StaffChange.objects.get(user=front_desk)
    assert change.actor == clinic_admin
    assert "is_active: True → False" in change.details
    assert "is_active: True → False" in page_text(admin_client_clinic.get(LIST))


def test_edit_stale_form_refused_with_message(admin_client_clinic, front_desk):
    stale = edit_data(front_desk, first_name="Mine")
    front_desk.first_name = "Theirs"
    front_desk.save()

    response = admin_client_clinic.post(edit_url(front_desk), stale)

    assert response.status_code == 200
    assert actions.STALE_FORM in page_text(response)
    front_desk.refresh_from_db()
    assert front_desk.first_name == "Theirs"
    assert response.context["form"]["first_name"].value() == "Theirs"


def test_clinic_admin_cannot_remove_own_role(admin_client_clinic, clinic_admin):
    response = admin_client_clinic.post(
        edit_url(clinic_admin), edit_data(clinic_admin, role=FRONT_DESK)
    )

    assert response.context["form"].errors["role"] == [actions.SELF_DEMOTION_REFUSED]
    clinic_admin.refresh_from_db()
    assert roles(clinic_admin) == {CLINIC_ADMIN} and clinic_admin.is_staff


def test_clinic_admin_cannot_deactivate_self(admin_client_clinic, clinic_admin):
    response = admin_client_clinic.post(
        edit_url(clinic_admin), edit_data(clinic_admin, is_active="")
    )

    assert response.context["form"].errors["is_active"] == [actions.SELF_DEACTIVATION_REFUSED]
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active


def test_clinic_admin_cannot_edit_a_superuser(admin_client_clinic):
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)

    assert admin_client_clinic.get(edit_url(boss)).status_code == 403
    response = admin_client_clinic.post(edit_url(boss), edit_data(boss, is_active=""))
    assert response.status_code == 403
    reset = admin_client_clinic.post(
        reverse("staff-password", args=[boss.pk]),
        {"reset-password": "", "reset-version": actions.staff_version(boss)},
    )
    assert reset.status_code == 403
    boss.refresh_from_db()
    assert boss.is_active and boss.check_password(PASSWORD)


def test_staff_form_cannot_grant_superuser(admin_client_clinic, front_desk):
    admin_client_clinic.post(
        edit_url(front_desk), edit_data(front_desk, is_superuser="on", is_staff="on")
    )

    front_desk.refresh_from_db()
    assert not front_desk.is_superuser and not front_desk.is_staff


def test_clinic_admin_cannot_make_anyone_superuser_in_the_admin(admin_client_clinic, clinic_admin):
    """The reported hole: ticking "Superuser status" in the admin's user form."""
    url = reverse("admin:auth_user_change", args=[clinic_admin.pk])
    data = {
        "username": clinic_admin.username,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    assert admin_client_clinic.get(url).status_code == 403
    assert admin_client_clinic.post(url, data).status_code == 403
    clinic_admin.refresh_from_db()
    assert not clinic_admin.is_superuser


# Reset password


def reset_url(user):
    return reverse("staff-password", args=[user.pk])


def test_reset_password_generated_shown_once(admin_client_clinic, front_desk):
    response = admin_client_clinic.post(
        reset_url(front_desk),
        {"reset-password": "", "reset-version": actions.staff_version(front_desk)},
    )

    password = unescape(
        re.search(r'data-testid="temporary-password">([^<]+)<', response.content.decode())[1]
    )
    front_desk.refresh_from_db()
    assert front_desk.check_password(password)
    assert not front_desk.check_password(PASSWORD)
    assert StaffChange.objects.get(user=front_desk).action == StaffChange.Action.PASSWORD_RESET


def test_reset_password_typed_is_validated(admin_client_clinic, front_desk):
    response = admin_client_clinic.post(
        reset_url(front_desk),
        {"reset-password": "aaaaaaaaaaaa", "reset-version": actions.staff_version(front_desk)},
    )

    assert response.status_code == 200
    assert PREDICTABLE_PASSWORD in page_text(response)
    front_desk.refresh_from_db()
    assert front_desk.check_password(PASSWORD)


def test_reset_password_typed_accepted(admin_client_clinic, front_desk):
    response = admin_client_clinic.post(
        reset_url(front_desk),
        {
            "reset-password": "maple syrup at dawn",
            "reset-version": actions.staff_version(front_desk),
        },
    )

    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("maple syrup at dawn")


def test_reset_password_stale_form_refused(admin_client_clinic, front_desk):
    version = actions.staff_version(front_desk)
    front_desk.email = "changed@clinic.example"
    front_desk.save()

    response = admin_client_clinic.post(
        reset_url(front_desk), {"reset-password": "", "reset-version": version}
    )

    assert actions.STALE_FORM in page_text(response)
    front_desk.refresh_from_db()
    assert front_desk.check_password(PASSWORD)


# Unlock


def test_unlock_lets_a_locked_out_user_log_in(admin_client_clinic, clinic_admin, front_desk):
    lock_out("desk")
    page = admin_client_clinic.get(edit_url(front_desk))
    assert "is locked out" in page_text(page)

    response = admin_client_clinic.post(
        reverse("staff-unlock", args=[front_desk.pk]),
        {"version": actions.staff_version(front_desk)},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="desk").exists()
    assert Client().post(LOGIN, {"username": "desk", "password": PASSWORD}).status_code == 302
    change = StaffChange.objects.get(user=front_desk)
    assert (change.actor, change.action) == (clinic_admin, StaffChange.Action.UNLOCKED)


def test_unlock_stale_form_refused(admin_client_clinic, front_desk):
    lock_out("desk")
    version = actions.staff_version(front_desk)
    front_desk.last_name = "Renamed"
    front_desk.save()

    response = admin_client_clinic.post(
        reverse("staff-unlock", args=[front_desk.pk]), {"version": version}, follow=True
    )

    assert actions.STALE_FORM in page_text(response)
    assert AccessAttempt.objects.filter(username="desk").exists()


# The actions on their own


def test_staff_create_action_refuses_unknown_role(clinic_admin):
    with pytest.raises(Exception):  # noqa: B017 - ValidationError on the role
        actions.staff_create(
            actor=clinic_admin, username="x", first_name="X", last_name="", email="", role="root"
        )
    assert not User.objects.filter(username="x").exists()


def test_front_desk_and_clinicians_have_no_staff_status_by_default(front_desk, clinician):
    assert not front_desk.is_staff and not clinician.is_staff
    assert Group.objects.get(name=FRONT_DESK).user_set.filter(is_staff=True).count() == 0


def test_the_staff_page_links_to_the_second_factor_reset(admin_client_clinic, front_desk):
    html = admin_client_clinic.get(reverse("staff-edit", args=[front_desk.pk])).content.decode()
    assert reverse("staff-two-factor-reset", args=[front_desk.pk]) in html
