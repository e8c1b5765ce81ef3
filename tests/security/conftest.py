import pytest
from django.test import Client

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from tests.factories.accounts import force_verified_login
from tests.factories.planner import make_plan


def logged_in(user, **client_kwargs) -> Client:
    """A client of its own, so tests that need two roles never share one session."""
    return force_verified_login(Client(**client_kwargs), user)


@pytest.fixture
def draft_plan(catalog, patient):
    return make_plan(patient, catalog[MICRONEEDLING], title="Glow plan")


@pytest.fixture
def investigational_plan(catalog, patient):
    return make_plan(patient, catalog[INJECTABLE], title="Injectable plan")
