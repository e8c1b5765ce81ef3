"""The three staff roles, as Django groups, and what each may do: views check the
permissions granted here (clinic.permissions.require_permission), never a role's name.

Groups are created by a migration; their permissions are (re)applied after every migrate,
because permissions only exist once every app has migrated."""

from django.contrib.auth.models import Group, Permission

FRONT_DESK = "Front desk"
CLINICIAN = "Clinician"
CLINIC_ADMIN = "Clinic admin"
ALL_ROLES = (FRONT_DESK, CLINICIAN, CLINIC_ADMIN)

# app_label -> model names whose add/change/delete/view a role gets.
CATALOG_MODELS = {
    "clinic": [
        "treatmenttype",
        "pricerange",
        "exosomeproduct",
        "productlot",
        "storagecheck",
        "evidencenote",
        "consentdocument",
        "depositrule",
    ]
}
# Patients, plans and courses change only through the planner's pages; in the admin the
# clinic admin reads them, their history and the summary-access log.
ADMIN_VIEW_MODELS = {
    "planner": [
        "patient",
        "plan",
        "course",
        "summaryaccess",
        "sharelink",
        "signedrecord",
        "signedconsent",
        "signingevent",
        "deposit",
        "treatmentsession",
        "adverseevent",
        "recallcontact",
    ],
    # A lot's status changes on the lot page (clinic.lots.actions); the admin shows the log.
    "clinic": ["lotstatuschange"],
}

# Staff accounts are managed on the Staff page (clinic.staff), not through auth permissions:
# the raw user and group admin is for superusers only.
ROLE_MODEL_PERMISSIONS = {CLINIC_ADMIN: [CATALOG_MODELS]}
# Everyone with a role may read the catalog; only clinic admins change it.
ROLE_VIEW_ONLY = {
    FRONT_DESK: [CATALOG_MODELS],
    CLINICIAN: [CATALOG_MODELS],
    CLINIC_ADMIN: [ADMIN_VIEW_MODELS],
}
# What the planner's own pages check (clinic.permissions.require_permission): every role
# reads, creates and changes patients and plans there. These are the permissions the admin
# reads too, but planner/admin.py shows patients, plans and courses read-only to everyone,
# and only clinic admins reach the admin at all (clinic.admin_site).
PLANNER_MODELS = {"planner": ["patient", "plan", "course"]}
ROLE_PLANNER_PERMISSIONS = {role: [PLANNER_MODELS] for role in ALL_ROLES}
# Clinicians alone may record an IND/trial reference for an investigational course, and
# accept a product's open due-diligence questions for a plan: both are clinical judgements.
# Every role shares a presented plan for signing and records deposits received.
SHARED_EXTRA_CODENAMES = [("planner", "share_plan"), ("planner", "record_deposit")]
# Sessions (planner.delivery): front desk keeps the diary (reschedule, no-show, cancel);
# clinicians perform, record adverse events and release lots after reviewing their storage;
# clinic admins recall lots and contact the patients a recalled lot reached.
ROLE_EXTRA_CODENAMES = {
    FRONT_DESK: [("planner", "reschedule_session")],
    CLINICIAN: [
        ("planner", "record_investigational_consent"),
        ("planner", "acknowledge_due_diligence"),
        # Anyone may delete a draft they started; a clinician may delete any draft.
        ("planner", "discard_any_draft"),
        ("planner", "perform_session"),
        ("planner", "reschedule_session"),
        ("planner", "record_adverse_event"),
        ("planner", "view_lot_recall"),
        ("clinic", "change_lot_status"),
        ("clinic", "release_lot"),
        ("clinic", "add_storagecheck"),
    ],
    CLINIC_ADMIN: [
        ("clinic", "manage_staff"),
        ("clinic", "use_admin"),
        # Merging moves plans between patients: an admin's call, after checking both records.
        ("planner", "merge_patients"),
        ("planner", "view_lot_recall"),
        ("planner", "contact_recall_patients"),
        ("clinic", "change_lot_status"),
        ("clinic", "recall_lot"),
        # The clinic's numbers (planner.board reports): quoting and conversion, an owner's view.
        ("planner", "view_reports"),
    ],
}


def _permissions_for(model_groups, actions):
    for models_by_app in model_groups:
        for app_label, model_names in models_by_app.items():
            for model in model_names:
                for action in actions:
                    yield app_label, f"{action}_{model}"


def sync_role_permissions(**kwargs):
    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = list(
            _permissions_for(
                ROLE_MODEL_PERMISSIONS.get(role, []), ("add", "change", "delete", "view")
            )
        )
        wanted += list(_permissions_for(ROLE_VIEW_ONLY.get(role, []), ("view",)))
        wanted += list(_permissions_for(ROLE_PLANNER_PERMISSIONS[role], ("view", "add", "change")))
        wanted += ROLE_EXTRA_CODENAMES.get(role, [])
        wanted += SHARED_EXTRA_CODENAMES
        perms = [
            perm
            for perm in Permission.objects.filter(
                content_type__app_label__in={app for app, _ in wanted}
            ).select_related("content_type")
            if (perm.content_type.app_label, perm.codename) in set(wanted)
        ]
        group.permissions.set(perms)


def user_roles(user) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached |= {CLINIC_ADMIN}
        user._role_names = cached
    return cached
