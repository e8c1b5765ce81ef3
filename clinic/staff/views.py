"""The Staff page: a clinic admin lists staff, creates and edits accounts (one role each),
resets passwords and ends lockouts. Every write goes through clinic.staff.actions."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from clinic.permissions import require_permission
from clinic.staff import actions
from clinic.staff.forms import ResetPasswordForm, StaffForm
from clinic.staff.selectors import locked_out_usernames, role_of, staff_accounts, staff_changes


def get_staff_for_admin(request, pk: int):
    """The account a clinic admin may manage: 404 when unknown, 403 for a superuser unless
    the admin is one."""
    user = get_object_or_404(get_user_model(), pk=pk)
    if user.is_superuser and not request.user.is_superuser:
        raise PermissionDenied
    return user


def _edit_initial(user) -> dict:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "username": user.username,
        "role": role_of(user) or "",
        "is_active": user.is_active,
        "version": actions.staff_version(user),
    }


def _password_shown(request, user, password: str, *, created: bool):
    response = render(
        request,
        "clinic/staff/password_shown.html",
        {"account": user, "password": password, "created": created},
    )
    add_never_cache_headers(response)  # the password must not stay in any cache
    return response


@require_http_methods(["GET", "HEAD"])
@require_permission("clinic.manage_staff")
def staff_list(request):
    accounts = list(staff_accounts())
    locked = locked_out_usernames()
    rows = [{"account": a, "role": role_of(a), "locked": a.username in locked} for a in accounts]
    return render(
        request, "clinic/staff/list.html", {"rows": rows, "changes": staff_changes(limit=20)}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@require_permission("clinic.manage_staff")
def staff_create(request):
    form = StaffForm(request.POST or None, editing=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, shown = actions.staff_create(
                actor=request.user,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                password=data["password"],
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            if shown:
                return _password_shown(request, user, shown, created=True)
            messages.success(request, f"Account {user.username} created.")
            return redirect("staff-edit", pk=user.pk)
    return render(request, "clinic/staff/form.html", {"form": form, "account": None})


@require_http_methods(["GET", "HEAD", "POST"])
@require_permission("clinic.manage_staff")
def staff_edit(request, pk: int):
    user = get_staff_for_admin(request, pk)
    if request.method == "POST":
        form = StaffForm(request.POST, editing=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.staff_update(
                    actor=request.user,
                    user=user,
                    version=data["version"],
                    username=data["username"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    role=data["role"],
                    is_active=data["is_active"],
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "stale":
                    # Show the current details, with the refusal, instead of what was typed.
                    user.refresh_from_db()
                    form = StaffForm(_edit_initial(user), editing=True)
                    form.is_valid()
                form.apply_errors(error)
            else:
                messages.success(request, f"Account {data['username']} saved.")
                return redirect("staff-edit", pk=user.pk)
    else:
        form = StaffForm(initial=_edit_initial(user), editing=True)
    return _edit_page(request, user, form=form)


def _edit_page(request, user, *, form=None, reset_form=None, status=200):
    version = actions.staff_version(user)
    return render(
        request,
        "clinic/staff/form.html",
        {
            "account": user,
            "form": form or StaffForm(initial=_edit_initial(user), editing=True),
            "reset_form": reset_form or ResetPasswordForm(initial={"version": version}),
            "version": version,
            "locked": user.username in locked_out_usernames(),
            "changes": staff_changes(user),
        },
        status=status,
    )


@require_POST
@require_permission("clinic.manage_staff")
def staff_reset_password(request, pk: int):
    user = get_staff_for_admin(request, pk)
    form = ResetPasswordForm(request.POST)
    if form.is_valid():
        try:
            shown = actions.staff_reset_password(
                actor=request.user,
                user=user,
                version=form.cleaned_data["version"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            user.refresh_from_db()
            form.apply_errors(error)
        else:
            if shown:
                return _password_shown(request, user, shown, created=False)
            messages.success(request, f"Password of {user.username} changed.")
            return redirect("staff-edit", pk=user.pk)
    return _edit_page(request, user, reset_form=form)


@require_POST
@require_permission("clinic.manage_staff")
def staff_unlock(request, pk: int):
    user = get_staff_for_admin(request, pk)
    try:
        actions.staff_unlock(actor=request.user, user=user, version=request.POST.get("version", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{user.username} can log in again.")
    return redirect("staff-edit", pk=user.pk)
