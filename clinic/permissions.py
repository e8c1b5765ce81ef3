"""One permission mechanism: Django permissions, granted to the role groups (clinic/roles.py)
and declared on each view with @require_permission, in the spirit of opensafely job-server's
decorator. Superusers hold every permission, so they keep full access.

The check happens server-side, in the view; templates only hide what a view refuses, with
`perms` (django.contrib.auth's context processor) reading the same permissions."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def check_permission(user, *perms: str) -> None:
    """Raise 403 unless `user` holds every one of `perms`; for lookups that guard an object
    whatever view calls them (planner.access)."""
    if not user.has_perms(perms):
        raise PermissionDenied


def require_permission(*perms: str):
    """Refuse the view with 403 unless the user holds every one of `perms`.

    Place it under @require_GET / @require_POST, so a wrong method is still a 405. The view
    carries `required_permissions`, which a test reads to prove no view goes without."""
    if not perms:
        raise ValueError("require_permission needs at least one permission")

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            check_permission(request.user, *perms)
            return view(request, *args, **kwargs)

        guarded.required_permissions = perms
        return guarded

    return decorator
