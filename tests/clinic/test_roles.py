"""The three staff roles exist after migrating, and only the clinic admin may change the
catalog; everyone with a role may read it."""

import pytest
from django.contrib.auth.models import Group

from clinic.roles import ALL_ROLES, CLINIC_ADMIN, CLINICIAN, FRONT_DESK, sync_role_permissions

pytestmark = pytest.mark.django_db

CATALOG = (
    "pricerange",
    "treatmenttype",
    "exosomeproduct",
    "productlot",
    "storagecheck",
    "evidencenote",
    "consentdocument",
    "depositrule",
)
CATALOG_WRITE = {
    f"clinic.{action}_{model}" for action in ("add", "change", "delete") for model in CATALOG
}
CATALOG_READ = {f"clinic.view_{model}" for model in CATALOG}


def group_permissions(name) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_roles_exist_after_migrations():
    assert set(Group.objects.filter(name__in=ALL_ROLES).values_list("name", flat=True)) == {
        FRONT_DESK,
        CLINICIAN,
        CLINIC_ADMIN,
    }


def test_clinic_admin_may_change_catalog():
    perms = group_permissions(CLINIC_ADMIN)

    assert "clinic.change_pricerange" in perms
    assert perms >= CATALOG_WRITE | CATALOG_READ


def test_no_role_holds_account_permissions():
    """Staff are managed on the Staff page; the raw user admin is for superusers only."""
    for role in ALL_ROLES:
        assert not {p for p in group_permissions(role) if p.startswith("auth.")}, role


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_works_in_the_planner_but_deletes_nothing(role):
    """The planner's pages check view/add/change on patients, plans and courses; nobody
    deletes them (patients are archived). The admin shows them read-only whatever these
    permissions say (tests/clinic/test_admin_access.py)."""
    planner = {p for p in group_permissions(role) if p.startswith("planner.")}
    for model in ("patient", "plan", "course"):
        assert {f"planner.{a}_{model}" for a in ("view", "add", "change")} <= planner
    assert not {p for p in planner if p.split(".")[1].startswith("delete_")}


@pytest.mark.parametrize("role", [FRONT_DESK, CLINICIAN, CLINIC_ADMIN])
def test_every_role_shares_plans_for_signing_and_records_deposits(role):
    assert {"planner.share_plan", "planner.record_deposit"} <= group_permissions(role)


def test_only_the_clinic_admin_reads_the_summary_access_log():
    for role in ALL_ROLES:
        assert ("planner.view_summaryaccess" in group_permissions(role)) == (role == CLINIC_ADMIN)


@pytest.mark.parametrize("role", [FRONT_DESK, CLINICIAN])
def test_front_desk_and_clinician_only_read_catalog(role):
    clinic_perms = {p for p in group_permissions(role) if p.startswith("clinic.")}
    # Besides reading, a clinician moves a lot along its life (release after reviewing its
    # storage, quarantine, discard) and records storage readings on the lot page; recalling
    # is the clinic admin's.
    lot_moves = (
        {"clinic.change_lot_status", "clinic.release_lot", "clinic.add_storagecheck"}
        if role == CLINICIAN
        else set()
    )

    assert clinic_perms == CATALOG_READ | lot_moves


@pytest.mark.parametrize("role", [FRONT_DESK, CLINICIAN])
def test_front_desk_and_clinician_cannot_manage_accounts(role):
    assert not {p for p in group_permissions(role) if p.startswith("auth.")}


def test_only_clinician_records_investigational_consent():
    codename = "planner.record_investigational_consent"

    assert codename in group_permissions(CLINICIAN)
    assert codename not in group_permissions(FRONT_DESK)
    assert codename not in group_permissions(CLINIC_ADMIN)


def test_role_permissions_user_check(front_desk, clinic_admin):
    assert front_desk.has_perm("clinic.view_pricerange")
    assert not front_desk.has_perm("clinic.change_pricerange")
    assert clinic_admin.has_perm("clinic.change_pricerange")


def test_sync_role_permissions_restores_drifted_groups():
    Group.objects.get(name=FRONT_DESK).permissions.clear()
    Group.objects.filter(name=CLINICIAN).delete()

    sync_role_permissions()
    sync_role_permissions()  # idempotent

    assert {p for p in group_permissions(FRONT_DESK) if p.startswith("clinic.")} == CATALOG_READ
    assert "planner.record_investigational_consent" in group_permissions(CLINICIAN)
    assert Group.objects.filter(name__in=ALL_ROLES).count() == 3


# Sessions and lots (planner.delivery): the access matrix of issue 14.
SESSION_MATRIX = {
    "planner.reschedule_session": {FRONT_DESK, CLINICIAN},
    "planner.perform_session": {CLINICIAN},
    "planner.record_adverse_event": {CLINICIAN},
    "planner.view_lot_recall": {CLINICIAN, CLINIC_ADMIN},
    "planner.contact_recall_patients": {CLINIC_ADMIN},
    "clinic.recall_lot": {CLINIC_ADMIN},
    "clinic.release_lot": {CLINICIAN},
    "clinic.change_lot_status": {CLINICIAN, CLINIC_ADMIN},
}


@pytest.mark.parametrize("codename", sorted(SESSION_MATRIX))
def test_session_and_lot_permissions_per_role(codename):
    holders = {role for role in ALL_ROLES if codename in group_permissions(role)}
    assert holders == SESSION_MATRIX[codename]
