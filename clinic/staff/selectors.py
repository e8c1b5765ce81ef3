"""Reads for the Staff page: the accounts with their one role, and who is locked out now."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q
from django.utils import timezone

from clinic.roles import ALL_ROLES
from clinic.staff.models import StaffChange


def role_of(user) -> str | None:
    """The user's clinic role (groups prefetched as `role_groups` when listing)."""
    groups = getattr(user, "role_groups", None)
    names = (
        [g.name for g in groups]
        if groups is not None
        else list(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    )
    for role in ALL_ROLES[::-1]:  # the strongest, should an account hold several
        if role in names:
            return role
    return None


def staff_accounts():
    """Every account that holds a role, has staff status or is a superuser."""
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=ALL_ROLES) | Q(is_staff=True) | Q(is_superuser=True))
        .distinct()
        .prefetch_related(
            Prefetch(
                "groups", queryset=Group.objects.filter(name__in=ALL_ROLES), to_attr="role_groups"
            )
        )
        .order_by("username")
    )


def locked_out_usernames() -> set[str]:
    """Usernames locked out now from at least one address (django-axes' own records)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        ).values_list("username", flat=True)
    )


def staff_changes(user=None, limit: int = 20):
    changes = StaffChange.objects.select_related("actor", "user")
    if user is not None:
        changes = changes.filter(user=user)
    return changes[:limit]
