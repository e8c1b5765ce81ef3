"""Share links, the patient's signed records (with the consents signed), the audit trail of
the public pages, and deposits received.

Models of the planner app (app_label), imported by planner/models.py so migrations stay in
one place."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import ConsentDocument

MAX_WRONG_CHECKS = 5


class ShareLink(models.Model):
    """A private link to one plan, at one version of it, for the patient to read and sign.

    Only a hash of the token is kept. The link is dead once it expires, is revoked, locks
    after MAX_WRONG_CHECKS wrong dates of birth, is used, or the plan moves on (its version
    changes)."""

    plan = models.ForeignKey("planner.Plan", on_delete=models.PROTECT, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    plan_version = models.PositiveIntegerField()
    kiosk = models.BooleanField(default=False, help_text="Opened on a clinic tablet.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    wrong_checks = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # When the patient last opened the link, and how often: its "opened" events, counted
    # where they are written (actions.link_opened) so the day board lists links opened and
    # left unsigned through an index instead of aggregating the audit trail.
    last_opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    times_opened = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        app_label = "planner"
        ordering = ["-created_at", "-id"]
        permissions = [("share_plan", "Can create, send and revoke a plan's signing link")]
        indexes = [
            # The day board's "opened, not signed", most recent first: only links opened and
            # still neither used nor revoked are in it.
            models.Index(
                fields=["-last_opened_at", "-id"],
                name="link_opened_open_idx",
                condition=Q(last_opened_at__isnull=False, used_at__isnull=True)
                & Q(revoked_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"Link to plan {self.plan_id} v{self.plan_version} ({self.state_label()})"

    def state(self, *, plan_version: int, now=None) -> str:
        """live, revoked, used, locked, changed or expired (first that applies)."""
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.used_at:
            return "used"
        if self.locked_at:
            return "locked"
        if plan_version != self.plan_version:
            return "changed"
        if now >= self.expires_at:
            return "expired"
        return "live"

    def state_label(self) -> str:
        return self.state(plan_version=self.plan.version)


class SignedRecord(models.Model):
    """What the patient decided on the link: who (as typed), when, from where, and a hash of
    exactly what they were shown; for an acceptance, the drawn signature and the consents.
    Written once, never changed (the PDF is stored the first time it is asked for)."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    plan = models.ForeignKey("planner.Plan", on_delete=models.PROTECT, related_name="signatures")
    link = models.OneToOneField(ShareLink, on_delete=models.PROTECT, related_name="record")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    plan_version = models.PositiveIntegerField()
    typed_name = models.CharField(max_length=200, blank=True)
    decline_reason = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    shown_hash = models.CharField(max_length=64)
    # The summary exactly as shown (its HTML) and what the deposit rule asked for.
    shown_summary_html = models.TextField()
    deposit_due = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    signature_png = models.BinaryField(blank=True)
    pdf = models.BinaryField(blank=True, editable=False)

    class Meta:
        app_label = "planner"
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["accepted", "declined"]), name="signed_decision_known"
            ),
            models.CheckConstraint(
                condition=Q(decision="declined") | ~Q(typed_name=""),
                name="signed_acceptance_has_name",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} plan {self.plan_id} on {self.signed_at:%F %R}"


class SignedConsent(models.Model):
    """One consent as the patient ticked it: the document's version and its text, copied."""

    record = models.ForeignKey(SignedRecord, on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(
        ConsentDocument, on_delete=models.PROTECT, related_name="signed_copies"
    )
    slug = models.SlugField(max_length=80)
    version = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        app_label = "planner"
        ordering = ["record", "slug"]

    def __str__(self):
        return f"{self.title} v{self.version}"


class SigningEvent(models.Model):
    """The audit trail of the share links and the public pages; also what the rate limits
    count (in the database, so every app server process agrees)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Link created"
        EMAILED = "emailed", "Link emailed"
        EMAIL_FAILED = "email_failed", "Link email failed"
        REVOKED = "revoked", "Link revoked"
        OPENED = "opened", "Link opened"
        UNKNOWN = "unknown", "Unknown or dead link opened"
        CHECK_FAILED = "check_failed", "Date of birth did not match"
        CHECK_PASSED = "check_passed", "Date of birth matched"
        LOCKED = "locked", "Link locked after wrong tries"
        RATE_LIMITED = "rate_limited", "Too many requests"
        SIGNED = "signed", "Plan signed and accepted"
        DECLINED = "declined", "Plan declined"
        KIOSK = "kiosk", "Kiosk started"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    plan = models.ForeignKey(
        "planner.Plan", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    link = models.ForeignKey(
        ShareLink, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        app_label = "planner"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["ip_address", "kind", "at"])]

    def __str__(self):
        return f"{self.at:%F %R} {self.get_kind_display()} (plan {self.plan_id or '-'})"


class Deposit(models.Model):
    """A deposit received for an accepted plan. No card data: the method and a reference.

    A deposit recorded by mistake is voided (actions.deposit_void), never deleted: it stays
    listed with who voided it, when and why, and counts toward nothing received."""

    class Method(models.TextChoices):
        CARD = "card", "Card (at the clinic's terminal)"
        CASH = "cash", "Cash"
        TRANSFER = "transfer", "Bank transfer"
        OTHER = "other", "Other"

    plan = models.ForeignKey("planner.Plan", on_delete=models.PROTECT, related_name="deposits")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    method = models.CharField(max_length=10, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "planner"
        ordering = ["received_on", "id"]
        permissions = [("record_deposit", "Can record a deposit received")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_positive"),
            # Voided means all three: when, by whom and why (the audit trail); else none.
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, voided_by__isnull=True, void_reason="")
                | (Q(voided_at__isnull=False, voided_by__isnull=False) & ~Q(void_reason="")),
                name="deposit_void_complete",
            ),
        ]

    def __str__(self):
        voided = " (voided)" if self.voided_at else ""
        return f"{self.amount} {self.currency} on {self.received_on}{voided}"


class DepositBalance(models.Model):
    """What a plan's acceptance asked as a deposit and what has come in, for every plan whose
    patient was asked one, and since when it is owed while it is (owed_since: the
    acceptance's time, on a plan still taking deposits that has received less than asked;
    None otherwise). The day board reads "recently accepted" with it in one query, and
    "deposits still due" as a screen of its owed rows in order, instead of summing every
    plan's deposits. Derived from the accepted SignedRecord, the Deposit rows and the plan's
    status; kept by actions.deposit_balance_refresh wherever one of them changes."""

    plan = models.OneToOneField(
        "planner.Plan", on_delete=models.CASCADE, primary_key=True, related_name="deposit_balance"
    )
    asked = models.DecimalField(max_digits=10, decimal_places=2)
    received = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    owed_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "planner"
        indexes = [
            # Longest waiting first; only what is owed.
            models.Index(
                fields=["owed_since", "plan"],
                name="deposit_owed_idx",
                condition=Q(owed_since__isnull=False),
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(asked__gt=0), name="deposit_balance_asked"),
            models.CheckConstraint(
                condition=Q(owed_since__isnull=True) | Q(received__lt=models.F("asked")),
                name="deposit_balance_owed_short",
            ),
        ]

    def __str__(self):
        return f"{self.received} of {self.asked} {self.currency} on plan {self.plan_id}"
