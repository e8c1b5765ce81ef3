"""The staff audit log: who created, changed, reset or unlocked which account, and when."""

from django.conf import settings
from django.db import models


class StaffChange(models.Model):
    class Action(models.TextChoices):
        CREATED = "created", "Account created"
        UPDATED = "updated", "Account changed"
        PASSWORD_RESET = "password_reset", "Password reset"
        UNLOCKED = "unlocked", "Login unlocked"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_changes"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    details = models.TextField(blank=True)

    class Meta:
        app_label = "clinic"
        ordering = ["-at", "-id"]
        # Staff-wide permissions live here, beside the log of what they allow.
        permissions = [
            ("manage_staff", "Can manage staff accounts on the Staff page"),
            ("use_admin", "Can sign in to the catalog admin"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()} {self.user}"
