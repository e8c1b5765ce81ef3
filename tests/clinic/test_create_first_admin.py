"""`manage.py create_first_admin` gives a new installation exactly one clinic-admin account
with a fresh password shown once, and does nothing once anyone has an account."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from clinic.roles import CLINIC_ADMIN, user_roles
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD_LINE = re.compile(r"^\s*password: (\S+)\s*$", re.MULTILINE)


def create_first_admin(*args) -> str:
    out = StringIO()
    call_command("create_first_admin", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    found = PASSWORD_LINE.findall(output)
    assert len(found) == 1, output
    return found[0]


def test_create_first_admin_one_staff_clinic_admin():
    create_first_admin()

    user = User.objects.get()
    assert user.username == "admin"
    assert user.is_staff
    assert user.is_active
    assert list(user.groups.values_list("name", flat=True)) == [CLINIC_ADMIN]
    assert user_roles(user) == {CLINIC_ADMIN}


def test_create_first_admin_custom_username():
    create_first_admin("--username", "owner")

    assert list(User.objects.values_list("username", flat=True)) == ["owner"]


def test_create_first_admin_prints_working_password_once():
    output = create_first_admin()

    password = printed_password(output)
    assert output.count(password) == 1
    assert len(password) >= 12
    assert User.objects.get().check_password(password)
    assert not User.objects.get().check_password(password + "x")


def test_create_first_admin_password_differs_between_installations():
    first = printed_password(create_first_admin())
    User.objects.all().delete()
    second = printed_password(create_first_admin())

    assert first != second
    assert User.objects.get().check_password(second)


def test_create_first_admin_password_stored_hashed():
    password = printed_password(create_first_admin())

    assert password not in User.objects.get().password


def test_create_first_admin_second_run_creates_nothing():
    first_output = create_first_admin()
    user = User.objects.get()

    output = create_first_admin()

    assert list(User.objects.all()) == [user]
    assert "password" not in output.lower()
    assert "no new account created" in output
    # The first password still works: the second run did not reset it.
    assert User.objects.get().check_password(printed_password(first_output))


def test_create_first_admin_any_existing_user_creates_nothing():
    UserFactory(username="desk")

    output = create_first_admin()

    assert list(User.objects.values_list("username", flat=True)) == ["desk"]
    assert not PASSWORD_LINE.search(output)
