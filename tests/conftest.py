import pytest
from django.contrib.auth.models import Group

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from tests.factories.accounts import TOTPDeviceFactory, UserFactory, force_verified_login


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
