import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.roles import CLINIC_ADMIN


class Command(BaseCommand):
    help = (
        "On a new installation (no user at all), create one clinic-admin account with a "
        "freshly generated password, printed once. Does nothing when any user exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    @transaction.atomic
    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write("Accounts already exist; no new account created.")
            return
        password = secrets.token_urlsafe(15)
        user = User(username=username, is_staff=True)
        validate_password(password, user)
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=CLINIC_ADMIN))
        self.stdout.write(
            self.style.SUCCESS(
                "\nCreated the clinic admin account (shown only this once, store it now):\n"
                f"    username: {username}\n    password: {password}\n"
            )
        )
