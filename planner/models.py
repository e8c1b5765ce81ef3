"""Patients, their treatment plans and the courses a plan is made of.

Business rules that touch several rows live in planner/actions.py; the schedule and cost
maths live in planner/scheduling.py and planner/estimates.py (pure functions)."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic import bounds
from clinic.models import (
    ExosomeProduct,
    ExosomeSource,
    IntervalUnit,
    ProductLot,
    TreatmentType,
)

MAX_SESSIONS_PER_COURSE = 12


class Indication(models.TextChoices):
    PROCEDURE_RECOVERY = (
        "procedure_recovery",
        "Faster recovery / better outcome after microneedling or laser",
    )
    SKIN_QUALITY = "skin_quality", "Skin-quality decline (thinning, laxity, fine lines)"
    WOUND_HEALING = "wound_healing", "Post-surgical wound-healing support"
    HAIR_LOSS = "hair_loss", "Hair loss (androgenetic alopecia; scalp delivery, under study)"
    SCARS = "scars", "Scar appearance"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PRESENTED = "presented", "Presented"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class Stamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        abstract = True


class Patient(Stamped):
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    # Bumped on every save, like a plan's: a save from an older page is refused.
    version = models.PositiveIntegerField(default=1)
    # Kept by planner.actions.patient_save (planner/patient_search.py), for finding a patient
    # and noticing a duplicate; never typed in. On PostgreSQL a trigram index serves
    # search_text (migration 0007); elsewhere a search scans this one column.
    search_text = models.TextField(blank=True, default="", editable=False)
    name_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    phone_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    email_key = models.CharField(max_length=254, blank=True, default="", editable=False)
    # Set when a clinic admin merged this record into another (planner.actions.patient_merge);
    # the record stays, archived, so its history and anything that refers to it still read.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    history = HistoricalRecords(
        excluded_fields=["search_text", "name_key", "phone_key", "email_key"]
    )

    class Meta:
        ordering = ["full_name", "id"]
        permissions = [("merge_patients", "Can merge two patient records")]
        indexes = [
            # Alphabetical: the patient list. On PostgreSQL it also carries what a search
            # checks, so walking it for a common name reads no table rows (0.6 -> 0.26 ms
            # for a page of "garcia"s at 20,000 patients); SQLite has no INCLUDE.
            models.Index(
                fields=["full_name", "id"],
                include=["search_text", "archived"],
                name="patient_name_idx",
            ),
            models.Index(fields=["name_key", "date_of_birth"]),
            models.Index(fields=["phone_key"]),
            models.Index(fields=["email_key"]),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("patient-detail", args=[self.pk])

    def clean(self):
        if problem := bounds.notes_problem(self.notes):
            raise ValidationError({"notes": problem})


class Plan(Stamped):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    title = models.CharField(max_length=200)
    indications = models.JSONField(default=list, blank=True)
    ready_by = models.DateField(
        "ready by", null=True, blank=True, help_text="An event the patient wants to be ready for."
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    alternative_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="alternatives"
    )
    # Bumped on every save: a save based on an older version is refused (no lost updates).
    version = models.PositiveIntegerField(default=1)

    # The quote as presented: line items, ranges used, sources and totals, frozen so later
    # price edits in the admin never change what the patient was shown.
    quote = models.JSONField(null=True, blank=True)
    quoted_at = models.DateTimeField(null=True, blank=True)
    # The frozen quote's totals and currency, copied out of `quote` where it is frozen or
    # thawed (planner.actions.plan_transition, via quote_columns) so the reports can sum
    # them in the database (summing inside JSON differs between SQLite and PostgreSQL and
    # reads every quote in full). Empty while the plan has no frozen quote.
    quote_low = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    quote_high = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # Nullable with no default, unlike the app's other text fields: SQLite adds such a column
    # in place, where a default would rebuild the plan table under the session trigger.
    quote_currency = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001
    # When the patient's answer to the presented quote was recorded: accepted or declined
    # (planner.actions.plan_transition). Cleared with the quote when the plan goes back to
    # draft; a cancelled plan keeps it, so "accepted, later cancelled" stays a decision.
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the last of the plan's live signing links runs out: the latest expiry of its links
    # to this version that are not used, revoked or locked (None: no such link). The day
    # board reads it to list links about to run out through an index. Kept by the link
    # actions (planner.signing.actions.plan_link_expiry_refresh) and cleared with every new
    # version (actions._claim_version: a new version closes every link). Whether it has
    # passed is the reader's question. Nullable with no default, like quote_currency, and
    # out of the history (derived, and rewritten by links that do not change the plan).
    link_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Investigational guardrail: the IND/trial reference is recorded by a clinician before
    # presenting; the patient's acknowledgement is the investigational consent they sign
    # (planner.signing), which sets patient_acknowledged_investigational.
    investigational_reference = models.CharField(
        "IND / trial reference", max_length=120, blank=True
    )
    patient_acknowledged_investigational = models.BooleanField(default=False)
    investigational_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    investigational_recorded_at = models.DateTimeField(null=True, blank=True)

    # A clinician's acknowledgement that a product's due diligence is incomplete, recorded
    # before a plan using it is presented.
    due_diligence_gaps_acknowledged = models.TextField(blank=True)
    due_diligence_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    due_diligence_acknowledged_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["quote", "link_expires_at"])

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("record_investigational_consent", "Can record an IND/trial reference and consent"),
            ("acknowledge_due_diligence", "Can acknowledge a product's open due-diligence gaps"),
            ("discard_any_draft", "Can delete a draft plan someone else started"),
            ("view_reports", "Can see the clinic's numbers (reports page and its CSVs)"),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"]),
            models.Index(fields=["ready_by"]),
            # Newest first: the plans list, and the walk of a common search's title half
            # (planner.selectors.plans_matching), which reads the titles from the index
            # alone: a title held by 10,000 older plans walked 60,000 newer plan rows (SQLite
            # 130-230 ms, PostgreSQL 97 ms at 100,000 plans; 8-11 and 23 ms from the index).
            models.Index(fields=["-updated_at", "-id", "title"], name="plan_recent_idx"),
            # The reports (planner/board/reports.py) read these indexes alone, never the
            # plan rows (on SQLite the columns added after the large quote JSON sit past
            # it): pipeline by status; plans presented in a period, a seek per status.
            models.Index(
                fields=["status", "quote_currency", "quote_low", "quote_high"],
                name="plan_pipeline_idx",
            ),
            models.Index(fields=["status", "quoted_at", "decided_at"], name="plan_quoted_idx"),
            # The day board's "accepted in the last two weeks", newest first.
            models.Index(fields=["-decided_at", "-id"], name="plan_decided_idx"),
            # A patient's plans newest first (their page), and the plans search's patient
            # half: the newest plans of the patients a search finds, read from the index
            # alone (planner.selectors.plans_matching).
            models.Index(fields=["patient", "-updated_at", "-id"], name="plan_patient_recent_idx"),
            # The day board's links about to run out, soonest first (only plans with a live
            # link, all presented, have an expiry).
            models.Index(
                fields=["status", "link_expires_at", "quoted_at", "id"],
                name="plan_link_expiry_idx",
                condition=Q(link_expires_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_known"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.patient})"

    def get_absolute_url(self):
        return reverse("plan-detail", args=[self.pk])

    def clean(self):
        if problem := bounds.notes_problem(self.notes):
            raise ValidationError({"notes": problem})

    @property
    def is_frozen(self) -> bool:
        return self.quote is not None

    @property
    def quote_valid_until(self) -> date | None:
        """The last day the frozen quote may be accepted: QUOTE_VALID_DAYS after the day it
        was quoted (in the clinic's timezone); None before a quote exists."""
        if self.quoted_at is None:
            return None
        return timezone.localdate(self.quoted_at) + timedelta(days=settings.QUOTE_VALID_DAYS)

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def has_investigational_course(self) -> bool:
        """Uses the prefetched courses (planner.access.get_plan_for_user)."""
        return any(c.treatment.is_investigational for c in self.courses.all())

    @property
    def investigational_recorded(self) -> bool:
        """A clinician has recorded the IND/trial reference (the patient acknowledges by
        signing the investigational consent before the plan can be accepted)."""
        return bool(self.investigational_reference.strip())

    def indication_labels(self) -> list[str]:
        labels = dict(Indication.choices)
        return [labels.get(key, key) for key in self.indications]


def quote_columns(quote: dict | None) -> dict:
    """Plan's denormalised quote columns for a frozen quote (None: no quote), e.g.
    plan.__dict__.update(quote_columns(plan.quote)) or a bulk insert's row."""
    if not quote or quote.get("currency") is None:
        return {"quote_low": None, "quote_high": None, "quote_currency": None}
    return {
        "quote_low": Decimal(quote["total_min"]),
        "quote_high": Decimal(quote["total_max"]),
        "quote_currency": quote["currency"],
    }


class Course(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="courses")
    position = models.PositiveSmallIntegerField(default=0)
    treatment = models.ForeignKey(TreatmentType, on_delete=models.PROTECT, related_name="+")
    sessions = models.PositiveSmallIntegerField()
    interval_count = models.PositiveSmallIntegerField()
    interval_unit = models.CharField(max_length=10, choices=IntervalUnit.choices)
    first_session = models.DateField()
    exosome_source = models.CharField(max_length=20, choices=ExosomeSource.choices, blank=True)
    product = models.ForeignKey(
        ExosomeProduct, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lot = models.ForeignKey(
        ProductLot, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "position", "id"]
        # The reports' treatment mix reads courses of many plans from this index alone.
        indexes = [models.Index(fields=["plan", "treatment", "sessions"], name="course_mix_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions__gte=1) & Q(sessions__lte=MAX_SESSIONS_PER_COURSE),
                name="course_sessions_1_to_12",
            ),
            models.CheckConstraint(
                condition=Q(interval_count__gte=1), name="course_interval_positive"
            ),
        ]

    def __str__(self):
        return f"{self.treatment} × {self.sessions}"


class SummaryAccess(models.Model):
    """Who opened a plan's patient material, and when: the page, the PDF or the calendar."""

    class Kind(models.TextChoices):
        PAGE = "page", "Summary page"
        PDF = "pdf", "Summary PDF"
        CALENDAR = "calendar", "Calendar (.ics)"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="summary_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "summary accesses"

    def __str__(self):
        return f"{self.get_kind_display()} of plan {self.plan_id} by {self.user} at {self.at:%F %R}"


from planner.delivery.models import (  # noqa: E402, F401  (session records, in their sub-package)
    AdverseEvent,
    LotReach,
    LotUse,
    RecallContact,
    SessionStatus,
    TreatmentSession,
)

# The signing capability's models (planner/signing/models.py) belong to this app; importing
# them here registers them, so their migrations live with the planner's.
from planner.signing.models import (  # noqa: E402, F401
    Deposit,
    DepositBalance,
    ShareLink,
    SignedConsent,
    SignedRecord,
    SigningEvent,
)
