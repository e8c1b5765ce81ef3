"""Writes to staff accounts. Each is one transaction, keyword-only, checks that the form it
came from still shows the account as it is (`version`), and logs a StaffChange.

Rules: a clinic admin gives exactly one role (one of the three groups; clinic admins also get
staff status, for the catalog admin); only a superuser creates or changes a superuser, and no
one grants superuser here; nobody removes their own clinic-admin role or deactivates
themselves, so a clinic always keeps the admin who is at the keyboard."""

import hashlib
import secrets

import axes.utils
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinic.roles import ALL_ROLES, CLINIC_ADMIN
from clinic.staff.models import StaffChange
from clinic.staff.selectors import role_of
from clinic.text import validate_visible_name

STALE_FORM = (
    "Someone changed this account after you opened the form. Nothing was saved; the form "
    "now shows the current details."
)
SUPERUSER_REFUSED = "Only a superuser can change a superuser account."
SELF_DEMOTION_REFUSED = (
    "You cannot remove your own clinic-admin role: ask another clinic admin to do it."
)
SELF_DEACTIVATION_REFUSED = "You cannot deactivate your own account."
NOT_A_ROLE = "Choose front desk, clinician or clinic admin."

FINGERPRINT_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff")


def staff_version(user) -> str:
    """A short hash of what the staff form shows, so a form opened before someone else's
    change is refused instead of silently undoing it."""
    shown = [str(getattr(user, name)) for name in FINGERPRINT_FIELDS]
    shown += [str(role_of(user)), str(user.is_superuser), user.password]
    return hashlib.sha256("\x1f".join(shown).encode()).hexdigest()[:20]


def _check_may_manage(*, actor, user) -> None:
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(SUPERUSER_REFUSED)


def _check_version(*, user, version: str) -> None:
    if version != staff_version(user):
        raise ValidationError(STALE_FORM, code="stale")


def _set_role(user, role: str) -> None:
    if role not in ALL_ROLES:
        raise ValidationError({"role": NOT_A_ROLE})
    others = Group.objects.filter(name__in=ALL_ROLES).exclude(name=role)
    user.groups.remove(*others)
    user.groups.add(Group.objects.get(name=role))


def _lock_for_update(user):
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def temporary_password(user) -> str:
    """A random password that the validators accept (shown once, changed by its owner)."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _clean_names(**names) -> None:
    errors = {}
    for field, value in names.items():
        try:
            validate_visible_name(value)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def staff_create(
    *,
    actor,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    password: str = "",
):
    """Create an account with one role. Returns (user, password shown once or "")."""
    _clean_names(first_name=first_name, last_name=last_name)
    user = get_user_model()(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_active=True,
        is_staff=role == CLINIC_ADMIN,
    )
    shown = ""
    if password:
        validate_password(password, user)
    else:
        password = shown = temporary_password(user)
    user.set_password(password)
    user.full_clean()
    user.save()
    _set_role(user, role)
    StaffChange.objects.create(
        actor=actor, user=user, action=StaffChange.Action.CREATED, details=f"role: {role}"
    )
    return user, shown


@transaction.atomic
def staff_update(
    *,
    actor,
    user,
    version: str,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    is_active: bool,
):
    user = _lock_for_update(user)
    _check_may_manage(actor=actor, user=user)
    _check_version(user=user, version=version)
    if user.pk == actor.pk and role != CLINIC_ADMIN and not actor.is_superuser:
        raise ValidationError({"role": SELF_DEMOTION_REFUSED})
    if user.pk == actor.pk and not is_active:
        raise ValidationError({"is_active": SELF_DEACTIVATION_REFUSED})
    _clean_names(first_name=first_name, last_name=last_name)

    before = {name: getattr(user, name) for name in FINGERPRINT_FIELDS} | {"role": role_of(user)}
    user.username, user.first_name, user.last_name = username, first_name, last_name
    user.email, user.is_active = email, is_active
    user.is_staff = user.is_superuser or role == CLINIC_ADMIN
    user.full_clean()
    user.save()
    _set_role(user, role)
    after = {name: getattr(user, name) for name in FINGERPRINT_FIELDS} | {"role": role}
    changed = [
        f"{name}: {before[name]} → {after[name]}" for name in after if before[name] != after[name]
    ]
    if changed:
        StaffChange.objects.create(
            actor=actor, user=user, action=StaffChange.Action.UPDATED, details="; ".join(changed)
        )
    return user


@transaction.atomic
def staff_reset_password(*, actor, user, version: str, password: str = "") -> str:
    """Set a typed password (validated) or a generated one. Returns the generated one to
    show once, or "" when the admin typed it."""
    user = _lock_for_update(user)
    _check_may_manage(actor=actor, user=user)
    _check_version(user=user, version=version)
    shown = ""
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
    else:
        password = shown = temporary_password(user)
    user.set_password(password)
    user.save(update_fields=["password"])
    StaffChange.objects.create(
        actor=actor,
        user=user,
        action=StaffChange.Action.PASSWORD_RESET,
        details="temporary password generated" if shown else "password typed by the admin",
    )
    return shown


@transaction.atomic
def staff_unlock(*, actor, user, version: str) -> int:
    """End a django-axes lockout of this username, from every address. Returns how many
    lockout records were removed."""
    user = _lock_for_update(user)
    _check_may_manage(actor=actor, user=user)
    _check_version(user=user, version=version)
    removed = axes.utils.reset(username=user.username)
    StaffChange.objects.create(
        actor=actor,
        user=user,
        action=StaffChange.Action.UNLOCKED,
        details=f"{removed} lockout record{'s' if removed != 1 else ''} cleared",
    )
    return removed
