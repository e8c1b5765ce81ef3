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
    "clinic": ["treatmenttype", "pricerange", "exosomeproduct", "productlot", "storagecheck"]
}
STAFF_MODELS = {"planner": ["patient", "plan", "course"]}
ADMIN_EXTRA_MODELS = {"auth": ["user", "group"], "planner": ["summaryaccess"]}

ROLE_MODEL_PERMISSIONS = {
    FRONT_DESK: [STAFF_MODELS],
    CLINICIAN: [STAFF_MODELS],
    CLINIC_ADMIN: [STAFF_MODELS, CATALOG_MODELS, ADMIN_EXTRA_MODELS],
}
# Everyone with a role may read the catalog; only clinic admins change it.
ROLE_VIEW_ONLY = {FRONT_DESK: [CATALOG_MODELS], CLINICIAN: [CATALOG_MODELS]}
# Clinicians alone may record an IND/trial reference for an investigational course, and
# accept a product's open due-diligence questions for a plan: both are clinical judgements.
ROLE_EXTRA_CODENAMES = {
    CLINICIAN: [
        ("planner", "record_investigational_consent"),
        ("planner", "acknowledge_due_diligence"),
    ]
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
        wanted += ROLE_EXTRA_CODENAMES.get(role, [])
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
