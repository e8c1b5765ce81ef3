import io
import os
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from hypothesis import settings as hypothesis_settings

from clinic.models import TreatmentType
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from tests.factories.accounts import TOTPDeviceFactory, UserFactory, force_verified_login
from tests.factories.planner import PatientFactory

# Property tests: a quick profile for local runs, a thorough one for CI (HYPOTHESIS_PROFILE=ci,
# set in .ci/run). The engine under test is pure and fast; without a deadline a busy machine
# cannot make a passing example fail.
hypothesis_settings.register_profile("dev", max_examples=50, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=500, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _fast_and_offline(settings):
    # Hashing with the default hasher costs ~0.25 s per user; tests need no real security.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def user_with_role(role: str | None, **kwargs):
    user = UserFactory(**kwargs)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def front_desk(db):
    return user_with_role(FRONT_DESK, username="desk")


@pytest.fixture
def clinician(db):
    return user_with_role(CLINICIAN, username="clinician")


@pytest.fixture
def clinic_admin(db):
    # Clinic admins must sign in with a second factor, so this one has an authenticator.
    admin = user_with_role(CLINIC_ADMIN, username="clinicadmin", is_staff=True)
    TOTPDeviceFactory(user=admin)
    return admin


@pytest.fixture
def no_role_user(db):
    return user_with_role(None, username="norole")


@pytest.fixture
def desk_client(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def clinician_client(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def admin_client_clinic(client, clinic_admin):
    return force_verified_login(client, clinic_admin)


@pytest.fixture
def catalog(db) -> dict[str, TreatmentType]:
    """The documented catalog as load_catalog seeds it, by slug (clinic.catalog_seed's
    MICRONEEDLING, LASER, INJECTABLE)."""
    call_command("load_catalog", stdout=io.StringIO())
    return {t.slug: t for t in TreatmentType.objects.all()}


@pytest.fixture
def patient(db):
    return PatientFactory(full_name="Ada Example", date_of_birth=date(1984, 5, 2))
