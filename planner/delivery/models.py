"""What was delivered: one record per planned session of an accepted plan, what happened to
it, adverse events after it, and who was contacted about a recalled lot. Models of the
planner app (imported in planner/models.py), so migrations stay in one place."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from clinic.models import ProductLot


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    PERFORMED = "performed", "Performed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = frozenset({SessionStatus.PLANNED})


class TreatmentSession(models.Model):
    plan = models.ForeignKey("planner.Plan", on_delete=models.PROTECT, related_name="sessions")
    course = models.ForeignKey(
        "planner.Course", on_delete=models.PROTECT, related_name="session_records"
    )
    number = models.PositiveSmallIntegerField()
    planned_date = models.DateField(db_index=True)
    planned_time = models.TimeField(null=True, blank=True)
    planned_lot = models.ForeignKey(
        ProductLot, on_delete=models.PROTECT, related_name="planned_sessions", null=True, blank=True
    )
    # Copied from the course when materialised: the course uses a product, so a performance
    # must name the lot used (a constraint below).
    needs_lot = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    performed_on = models.DateField(null=True, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lot_used = models.ForeignKey(
        ProductLot, on_delete=models.PROTECT, related_name="used_sessions", null=True, blank=True
    )
    notes = models.TextField(blank=True)
    # A clinician used a lot that failed the point-of-use check: what failed, and why.
    lot_override_problems = models.TextField(blank=True)
    lot_override_reason = models.TextField(blank=True)
    # RFC 5545 SEQUENCE: bumped whenever the date moves or the session is cancelled.
    sequence = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        app_label = "planner"
        ordering = ["planned_date", "course__position", "number", "id"]
        permissions = [
            ("perform_session", "Can record a session as performed"),
            ("reschedule_session", "Can reschedule, cancel or mark a session as a no-show"),
            ("record_adverse_event", "Can record an adverse event after a session"),
            ("view_lot_recall", "Can see the patients a lot reached (lot page)"),
            ("contact_recall_patients", "Can download recall lists and letters, tick contacted"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_per_course"),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.PERFORMED)
                | (Q(performed_on__isnull=False) & Q(performed_by__isnull=False)),
                name="session_performed_has_performer_and_date",
            ),
            models.CheckConstraint(
                condition=~(
                    Q(status=SessionStatus.PERFORMED) & Q(needs_lot=True) & Q(lot_used__isnull=True)
                ),
                name="session_performed_product_has_lot",
            ),
            models.CheckConstraint(
                condition=Q(status=SessionStatus.PERFORMED) | Q(performed_on__isnull=True),
                name="session_only_performed_has_date",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="session_number_positive"),
        ]
        indexes = [
            models.Index(fields=["lot_used"]),
            models.Index(fields=["planned_lot"]),
            # The reports (planner/board/reports.py): performed sessions in a period, planned
            # sessions in the months ahead, and each plan's first session.
            models.Index(fields=["status", "performed_on"], name="session_performed_idx"),
            models.Index(fields=["status", "planned_date"], name="session_status_day_idx"),
            models.Index(fields=["plan", "planned_date"], name="session_plan_day_idx"),
            # The lot page's lists, a screen at a time in date order: without these SQLite
            # walked every planned session of the clinic by date to find one lot's (17 ms at
            # 25,000 plans, for a lot planned for none). The id last, as the lists order
            # ties: PostgreSQL sorted a lot's whole first day of uses without it.
            models.Index(
                fields=["lot_used", "status", "performed_on", "id"],
                name="session_lot_used_day_idx",
            ),
            models.Index(
                fields=["planned_lot", "status", "planned_date", "id"],
                name="session_lot_planned_idx",
            ),
            # The day board's sessions by day and time: where a screen of them ends is read
            # from this index alone (planner.board.day.sessions_ahead).
            models.Index(
                fields=["status", "planned_date", "planned_time"], name="session_board_idx"
            ),
        ]

    def __str__(self):
        return f"Session {self.number} of {self.course} on {self.planned_date}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def treatment_date(self):
        """The day it happened (performed) or is planned for."""
        return self.performed_on or self.planned_date


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    SERIOUS = "serious", "Serious (hospitalisation, disability or life-threatening)"


class AdverseEvent(models.Model):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    noticed_on = models.DateField()
    description = models.TextField()
    severity = models.CharField(max_length=20, choices=Severity.choices)
    action_taken = models.TextField(blank=True)
    reported_to_medwatch = models.BooleanField(default=False)
    medwatch_reference = models.CharField(max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        app_label = "planner"
        ordering = ["-noticed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="adverse_event_severity_known"
            ),
            models.CheckConstraint(
                condition=Q(reported_to_medwatch=False) | ~Q(medwatch_reference=""),
                name="adverse_event_medwatch_has_reference",
            ),
        ]

    def __str__(self):
        return f"{self.get_severity_display()} event after {self.session}"


class RecallContact(models.Model):
    """A patient told about a recalled lot: who ticked it, and when."""

    lot = models.ForeignKey(ProductLot, on_delete=models.PROTECT, related_name="recall_contacts")
    patient = models.ForeignKey(
        "planner.Patient", on_delete=models.PROTECT, related_name="recall_contacts"
    )
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    contacted_at = models.DateTimeField(auto_now_add=True)
    notes = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        app_label = "planner"
        ordering = ["-contacted_at"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "patient"], name="recall_contact_once"),
        ]

    def __str__(self):
        return f"{self.patient} contacted about {self.lot}"


class LotReach(models.Model):
    """Who a lot reached: for a lot and a patient, how many sessions used it (performed) and
    how many still plan it. The lot page reads a screen of patients in name order, and the
    recall list, from here instead of gathering every session that named the lot (a clinic
    chain's busiest lot had 13,000). Derived from the session records and kept by
    planner.delivery.actions.lot_reach_refresh after every write that changes a session's
    status, its lot or its plan's patient, and by patient_save for the name: a row exists
    while the count is not zero."""

    # No index of the lot's own: the name index below starts with it.
    lot = models.ForeignKey(ProductLot, on_delete=models.CASCADE, related_name="+", db_index=False)
    patient = models.ForeignKey("planner.Patient", on_delete=models.CASCADE, related_name="+")
    # The patient's name as now (Patient.full_name), so a screen of them in name order is a
    # range of one index.
    patient_name = models.CharField(max_length=200)
    performed = models.PositiveIntegerField(default=0)
    planned = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "planner"
        ordering = ["lot", "patient_name", "patient"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "patient"], name="lot_reach_once"),
            models.CheckConstraint(
                condition=Q(performed__gt=0) | Q(planned__gt=0), name="lot_reach_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["lot", "patient_name", "patient"], name="lot_reach_name_idx"),
        ]

    def __str__(self):
        return f"Lot {self.lot_id}: {self.patient_name} ({self.performed} + {self.planned})"


class LotUse(models.Model):
    """A lot's totals (its LotReach rows summed), kept with them so the lot page's headings
    cost one row whatever the number of uses."""

    lot = models.OneToOneField(
        ProductLot, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    patients = models.PositiveIntegerField(default=0)
    performed = models.PositiveIntegerField(default=0)
    planned = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "planner"

    def __str__(self):
        return f"Lot {self.lot_id}: {self.patients} patients"
