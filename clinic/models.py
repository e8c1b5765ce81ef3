"""The clinic's catalog: what it offers and at what price.

Every figure is nullable on purpose: a blank figure means "not documented" and the app says
so, instead of inventing a number. The database checks every numeric invariant as a backstop
to form validation.
"""

from datetime import date
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from clinic import bounds
from clinic.catalog_seed import PRICES as SEED_PRICES
from clinic.catalog_seed import SOURCES as SEED_SOURCES
from clinic.catalog_seed import TREATMENTS as SEED_TREATMENTS
from clinic.formatting import PLATELET_TOPICAL_ONLY, format_celsius, format_date

# A figure the clinic entered or changed is the clinic's, whatever source key it still carries.
CLINIC_SOURCE = "clinic"
_SEED_BY_SLUG = {t["slug"]: t for t in SEED_TREATMENTS}
_SEED_PRICES = {
    (slug, unit, size): (low, high, src) for slug, unit, size, low, high, src in SEED_PRICES
}
# Each attributed figure: its fields, and the field holding its source key.
FIGURE_FIELDS = {
    "downtime": ("downtime_min_hours", "downtime_max_hours"),
    "sessions": ("sessions_min", "sessions_max"),
    "interval": ("interval_count", "interval_unit"),
    "results_develop": ("results_develop_weeks_min", "results_develop_weeks_max"),
}


def attribute(source: str, values: tuple, seeded: tuple | None) -> str:
    """The source to print beside a figure: a published key only while the figure is exactly
    the one that source gave (the seed); otherwise "clinic" (or the admin's own source)."""
    if all(v is None or v == "" for v in values):
        return ""
    source = source.strip()
    if source in SEED_SOURCES and (seeded is None or tuple(seeded) != tuple(values)):
        return CLINIC_SOURCE
    return source or CLINIC_SOURCE


def default_currency() -> str:
    return settings.CURRENCY


class ExosomeSource(models.TextChoices):
    PLATELET = "platelet", "Platelet-derived (human)"
    MSC = "msc", "Mesenchymal stem cell (MSC)"
    PLACENTAL = "placental", "Placental / amniotic"
    PLANT = "plant", "Plant-derived"
    SYNTHETIC = "synthetic", "Synthetic / liposome (exosome-like)"


class TreatmentKind(models.TextChoices):
    MICRONEEDLING = "microneedling", "Microneedling + topical exosome"
    FRACTIONAL_LASER = "fractional_laser", "Fractional laser + topical exosome"
    INJECTABLE = "injectable", "Injectable exosome"


class DeliveryRoute(models.TextChoices):
    TOPICAL = "topical", "Topical, after barrier disruption"
    INJECTION = "injection", "Intradermal / subdermal injection"


class RegulatoryStatus(models.TextChoices):
    COSMETIC_TOPICAL = "cosmetic_topical", "Cosmetic, topical use"
    INVESTIGATIONAL = (
        "investigational",
        "Investigational: only inside an FDA IND or a registered clinical trial",
    )


class IntervalUnit(models.TextChoices):
    DAYS = "days", "days"
    WEEKS = "weeks", "weeks"
    MONTHS = "months", "calendar months"


INJECTION_NEEDS_INVESTIGATIONAL = (
    "An injected exosome treatment must be marked investigational (IND or trial required)."
)
INJECTABLE_IS_INJECTED = (
    "An injectable treatment is delivered by injection, and only an injectable one is: "
    "the kind and the delivery route must agree."
)
MIN_ABOVE_MAX = "The minimum cannot be more than the maximum."
SERIES_NEEDS_SIZE = "A series price needs the number of sessions it covers (2 or more)."
SESSION_HAS_NO_SIZE = "A single-session price must not name a number of sessions."
INTERVAL_NEEDS_BOTH = "Give both the interval and its unit, or neither."
PRICE_NEGATIVE = "A price cannot be negative."
EFFECTIVE_FROM_RANGE = "Enter an effective date between 1 Jan 2000 and ten years from today."
CURRENCY_CODE = "Use a three-letter currency code such as USD."
CURRENCY_NOT_CLINICS = (
    "This clinic quotes in {currency} (the CURRENCY setting); prices in another currency "
    "could not be added up in a plan."
)
PRICE_DATE_TAKEN = (
    "A price for this treatment and unit already starts on this date: pick another date "
    "or edit that price."
)


def pair_ordered(low: str, high: str) -> Q:
    """Either bound may be blank (not documented); where both are set, low <= high."""
    return (
        Q(**{f"{low}__isnull": True})
        | Q(**{f"{high}__isnull": True})
        | Q(**{f"{low}__lte": models.F(high)})
    )


class CatalogQuerySet(models.QuerySet):
    """Bulk writes skip the save/delete signals that bump the catalog version
    (clinic/catalog_cache.py), so they bump it themselves: a cached catalog is never served
    after a write, whichever path made it."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows:
            bump_catalog_version()
        return rows

    def bulk_create(self, *args, **kwargs):
        created = super().bulk_create(*args, **kwargs)
        bump_catalog_version()
        return created

    def bulk_update(self, *args, **kwargs):
        rows = super().bulk_update(*args, **kwargs)
        bump_catalog_version()
        return rows


class TreatmentType(models.Model):
    slug = models.SlugField(unique=True, help_text="Stable identifier used by the seed data.")
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=30, choices=TreatmentKind.choices)
    route = models.CharField("delivery route", max_length=20, choices=DeliveryRoute.choices)
    regulatory_status = models.CharField(max_length=30, choices=RegulatoryStatus.choices)
    exosome_source = models.CharField(
        max_length=20,
        choices=ExosomeSource.choices,
        blank=True,
        help_text="Only where the treatment always uses one source.",
    )
    description = models.TextField(blank=True)

    downtime_min_hours = models.PositiveIntegerField(null=True, blank=True)
    downtime_max_hours = models.PositiveIntegerField(null=True, blank=True)
    downtime_source = models.CharField(max_length=40, blank=True)

    sessions_min = models.PositiveSmallIntegerField(
        "typical sessions (min)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    sessions_max = models.PositiveSmallIntegerField(
        "typical sessions (max)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    sessions_source = models.CharField(max_length=40, blank=True)

    interval_count = models.PositiveSmallIntegerField(
        "default interval", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    interval_unit = models.CharField(max_length=10, choices=IntervalUnit.choices, blank=True)
    interval_source = models.CharField(max_length=40, blank=True)

    # How long results keep developing after each session (regen-2026: 4-6 weeks). Not when
    # they "show": no source documents that, and the name keeps the meaning from slipping.
    results_develop_weeks_min = models.PositiveSmallIntegerField(
        "results keep developing after each session for at least (weeks)",
        null=True,
        blank=True,
    )
    results_develop_weeks_max = models.PositiveSmallIntegerField(
        "results keep developing after each session for up to (weeks)",
        null=True,
        blank=True,
    )
    results_develop_source = models.CharField(max_length=40, blank=True)

    active = models.BooleanField(default=True)
    history = HistoricalRecords()
    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=pair_ordered("downtime_min_hours", "downtime_max_hours"),
                name="treatment_downtime_ordered",
            ),
            models.CheckConstraint(
                condition=Q(sessions_min__isnull=True) | Q(sessions_min__gte=1),
                name="treatment_sessions_min_positive",
            ),
            models.CheckConstraint(
                condition=Q(sessions_max__isnull=True) | Q(sessions_max__gte=1),
                name="treatment_sessions_max_positive",
            ),
            models.CheckConstraint(
                condition=pair_ordered("sessions_min", "sessions_max"),
                name="treatment_sessions_ordered",
            ),
            models.CheckConstraint(
                condition=pair_ordered("results_develop_weeks_min", "results_develop_weeks_max"),
                name="treatment_results_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(interval_count__isnull=True) & Q(interval_unit=""))
                | (
                    Q(interval_count__isnull=False)
                    & Q(interval_count__gte=1)
                    & ~Q(interval_unit="")
                ),
                name="treatment_interval_complete",
            ),
            models.CheckConstraint(
                condition=~(
                    Q(exosome_source=ExosomeSource.PLATELET) & Q(route=DeliveryRoute.INJECTION)
                ),
                name="treatment_platelet_topical_only",
            ),
            models.CheckConstraint(
                condition=~Q(route=DeliveryRoute.INJECTION)
                | Q(regulatory_status=RegulatoryStatus.INVESTIGATIONAL),
                name="treatment_injection_investigational",
            ),
            # Kind and route say the same thing twice; the investigational rule keys on the
            # route, so an "injectable" filed as topical would escape it.
            models.CheckConstraint(
                condition=(Q(kind=TreatmentKind.INJECTABLE) & Q(route=DeliveryRoute.INJECTION))
                | (~Q(kind=TreatmentKind.INJECTABLE) & ~Q(route=DeliveryRoute.INJECTION)),
                name="treatment_injectable_is_injected",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        for low, high in (
            ("downtime_min_hours", "downtime_max_hours"),
            ("sessions_min", "sessions_max"),
            ("results_develop_weeks_min", "results_develop_weeks_max"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                errors[low] = MIN_ABOVE_MAX
        if (self.interval_count is None) != (not self.interval_unit):
            errors["interval_count"] = INTERVAL_NEEDS_BOTH
        if self.exosome_source == ExosomeSource.PLATELET and self.route == DeliveryRoute.INJECTION:
            errors["exosome_source"] = PLATELET_TOPICAL_ONLY
        if (self.kind == TreatmentKind.INJECTABLE) != (self.route == DeliveryRoute.INJECTION):
            errors["route"] = INJECTABLE_IS_INJECTED
        if (
            self.route == DeliveryRoute.INJECTION
            and self.regulatory_status != RegulatoryStatus.INVESTIGATIONAL
        ):
            errors["regulatory_status"] = INJECTION_NEEDS_INVESTIGATIONAL
        if errors:
            raise ValidationError(errors)

    @property
    def is_investigational(self) -> bool:
        return self.regulatory_status == RegulatoryStatus.INVESTIGATIONAL

    def figure_source(self, figure: str) -> str:
        """The source of one figure ("downtime", "sessions", "interval", "results_develop")
        as it may be printed: see `attribute`."""
        fields = FIGURE_FIELDS[figure]
        seed = _SEED_BY_SLUG.get(self.slug)
        return attribute(
            getattr(self, f"{figure}_source"),
            tuple(getattr(self, f) for f in fields),
            tuple(seed[f] for f in fields) if seed else None,
        )


class EvidenceKind(models.TextChoices):
    STUDY = "study", "Study finding"
    OPINION = "opinion", "Opinion"


class EvidenceNote(models.Model):
    """A fact or an opinion from a source that the patient material carries beside the
    figures: a study's course and findings, or an expert's opinion (labelled as such)."""

    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    route = models.CharField(
        max_length=20,
        choices=DeliveryRoute.choices,
        blank=True,
        help_text="Shown for plans with a treatment of this route; blank for every plan.",
    )
    text = models.TextField(help_text="In the clinic's own words; never a promise.")
    source = models.CharField(max_length=40)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()
    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.slug}"


class PriceUnit(models.TextChoices):
    SESSION = "session", "One session"
    SERIES = "series", "Series of sessions"


class TrialPricing(models.TextChoices):
    NONE = "", "Not a trial price"
    TRIAL = "trial", "Trial price set by the clinic"
    NO_CHARGE = "no_charge", "No charge within the trial"


NO_CHARGE_IS_ZERO = "A no-charge price must be 0 to 0."
TRIAL_PRICE_ONLY_INVESTIGATIONAL = "Only an investigational treatment has a trial price."


class PriceRangeQuerySet(CatalogQuerySet):
    def in_force(self, on: date):
        """The newest range per (treatment, unit, series size) whose effective date has come.

        Computed in Python over one ordered query, so it costs one query whatever the
        number of treatments, and works the same on SQLite and PostgreSQL."""
        rows = (
            self.filter(effective_from__lte=on)
            .select_related("treatment")
            .order_by("treatment_id", "unit", "series_size", "-effective_from", "-id")
        )
        seen, current = set(), []
        for row in rows:
            key = (row.treatment_id, row.unit, row.series_size)
            if key not in seen:
                seen.add(key)
                current.append(row)
        return current


class PriceRange(models.Model):
    treatment = models.ForeignKey(
        TreatmentType, on_delete=models.PROTECT, related_name="price_ranges"
    )
    unit = models.CharField(max_length=10, choices=PriceUnit.choices, default=PriceUnit.SESSION)
    series_size = models.PositiveSmallIntegerField(
        "sessions in the series",
        null=True,
        blank=True,
        help_text="Only for a series price: how many sessions it covers (2 or more).",
    )
    minimum = models.DecimalField(max_digits=10, decimal_places=2)
    maximum = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default=default_currency)
    effective_from = models.DateField(
        help_text="From this date on, this range replaces older ones for the same unit."
    )
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="Where the figure comes from: a source key such as regen-2026, or 'clinic'.",
    )
    trial_pricing = models.CharField(
        max_length=10,
        choices=TrialPricing.choices,
        blank=True,
        default=TrialPricing.NONE,
        help_text="For an investigational treatment: the clinic's price for patients in the "
        "trial, or no charge.",
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = PriceRangeQuerySet.as_manager()

    class Meta:
        ordering = ["treatment__name", "unit", "series_size", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__gte=0), name="price_minimum_not_negative"),
            models.CheckConstraint(
                condition=Q(minimum__lte=models.F("maximum")), name="price_minimum_le_maximum"
            ),
            models.CheckConstraint(
                condition=(Q(unit=PriceUnit.SESSION) & Q(series_size__isnull=True))
                | (Q(unit=PriceUnit.SERIES) & Q(series_size__isnull=False) & Q(series_size__gte=2)),
                name="price_series_size_matches_unit",
            ),
            models.CheckConstraint(
                condition=~Q(trial_pricing=TrialPricing.NO_CHARGE) | Q(minimum=0, maximum=0),
                name="price_no_charge_is_zero",
            ),
            models.UniqueConstraint(
                fields=["treatment", "effective_from"],
                condition=Q(unit=PriceUnit.SESSION),
                name="price_one_session_range_per_date",
                violation_error_message=PRICE_DATE_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["treatment", "series_size", "effective_from"],
                condition=Q(unit=PriceUnit.SERIES),
                name="price_one_series_range_per_date",
                violation_error_message=PRICE_DATE_TAKEN,
            ),
        ]
        indexes = [models.Index(fields=["treatment", "effective_from"])]

    def __str__(self):
        return (
            f"{self.treatment} – {self.unit_label}: {self.minimum}–{self.maximum} {self.currency}"
        )

    @property
    def attributed_source(self) -> str:
        """The published key only while the range is exactly the one that source gave;
        a trial price, or any range the clinic entered or changed, is the clinic's."""
        if self.trial_pricing:
            return CLINIC_SOURCE
        seed = _SEED_PRICES.get((self.treatment.slug, self.unit, self.series_size))
        return attribute(
            self.source,
            (self.minimum, self.maximum),
            (seed[0], seed[1]) if seed and seed[2] == self.source.strip() else None,
        )

    @property
    def unit_label(self) -> str:
        if self.unit == PriceUnit.SERIES:
            return f"Series of {self.series_size} sessions"
        return "Per session"

    def clean(self):
        errors = {}
        if self.minimum is not None and self.minimum < 0:
            errors["minimum"] = PRICE_NEGATIVE
        if problem := bounds.notes_problem(self.notes):
            errors["notes"] = problem
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            errors["maximum"] = MIN_ABOVE_MAX
        if self.effective_from and not (
            date(2000, 1, 1)
            <= self.effective_from
            <= date.today().replace(year=date.today().year + 10)
        ):
            errors["effective_from"] = EFFECTIVE_FROM_RANGE
        if self.unit == PriceUnit.SERIES and (self.series_size is None or self.series_size < 2):
            errors["series_size"] = SERIES_NEEDS_SIZE
        if self.unit == PriceUnit.SESSION and self.series_size is not None:
            errors["series_size"] = SESSION_HAS_NO_SIZE
        if self.trial_pricing == TrialPricing.NO_CHARGE and (self.minimum or self.maximum):
            errors["trial_pricing"] = NO_CHARGE_IS_ZERO
        if self.trial_pricing and self.treatment_id and not self.treatment.is_investigational:
            errors["trial_pricing"] = TRIAL_PRICE_ONLY_INVESTIGATIONAL
        self.currency = (self.currency or "").strip().upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = CURRENCY_CODE
        elif self.currency != settings.CURRENCY:
            errors["currency"] = CURRENCY_NOT_CLINICS.format(currency=settings.CURRENCY)
        if errors:
            raise ValidationError(errors)


# --- Exosome products and lots: the due-diligence record -------------------------------------


class ProductGrade(models.TextChoices):
    MEDICAL = "medical", "Medical / clinical grade"
    COSMETIC = "cosmetic", "Cosmetic grade"


class ProductRegulatoryStatus(models.TextChoices):
    # No exosome product is FDA-approved for aesthetic use (as of 2026), so there is no
    # "cleared" or "approved" choice: an injected preparation is investigational only.
    COSMETIC_TOPICAL = "cosmetic_topical", "Cosmetic, topical use only"
    INVESTIGATIONAL = (
        "investigational",
        "Investigational: only inside an FDA IND or a registered clinical trial",
    )


INJECTION_NEEDS_STATUS = (
    "No exosome product is approved for aesthetic use: a product used by injection must be "
    "investigational (an FDA IND or a registered clinical trial)."
)
NEEDS_A_ROUTE = "Choose at least one route: topical or injection."
REFERENCE_NEEDED = "Give the FDA IND or clinical-trial registration for this preparation."
EXPIRY_BEFORE_RECEIVED = "The expiry date must be after the date the lot was received."
SIZE_NOT_POSITIVE = "Sizes must be positive numbers of nanometres."
STORAGE_RANGE_ORDER = "The lowest storage temperature cannot be above the highest."


class ExosomeProduct(models.Model):
    name = models.CharField(max_length=200)
    manufacturer = models.CharField(max_length=200)
    exosome_source = models.CharField(max_length=20, choices=ExosomeSource.choices)
    source_cell_line = models.CharField(
        max_length=200,
        blank=True,
        help_text="The cell line or tissue the exosomes come from, as the manufacturer states it.",
    )
    grade = models.CharField(max_length=20, choices=ProductGrade.choices)
    route_topical = models.BooleanField("topical use", default=True)
    route_injection = models.BooleanField("injection", default=False)
    regulatory_status = models.CharField(max_length=30, choices=ProductRegulatoryStatus.choices)
    regulatory_reference = models.CharField("IND / trial reference", max_length=200, blank=True)
    clinical_evidence = models.TextField(
        blank=True, help_text="Published outcome data for this product: references and links."
    )
    storage_min_celsius = models.DecimalField(
        "store at least at (°C)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    storage_max_celsius = models.DecimalField(
        "store at most at (°C)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    handling_notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()
    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "name"], name="product_unique_name"),
            models.CheckConstraint(
                condition=Q(route_topical=True) | Q(route_injection=True),
                name="product_has_a_route",
            ),
            models.CheckConstraint(
                condition=~(Q(exosome_source=ExosomeSource.PLATELET) & Q(route_injection=True)),
                name="product_platelet_topical_only",
            ),
            models.CheckConstraint(
                condition=Q(route_injection=False)
                | Q(regulatory_status=ProductRegulatoryStatus.INVESTIGATIONAL),
                name="product_injection_needs_status",
            ),
            models.CheckConstraint(
                condition=pair_ordered("storage_min_celsius", "storage_max_celsius"),
                name="product_storage_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(regulatory_status__in=ProductRegulatoryStatus.values),
                name="product_regulatory_status_known",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.manufacturer})"

    def clean(self):
        errors = {}
        if not (self.route_topical or self.route_injection):
            errors["route_topical"] = NEEDS_A_ROUTE
        if self.exosome_source == ExosomeSource.PLATELET and self.route_injection:
            errors["route_injection"] = PLATELET_TOPICAL_ONLY
        elif (
            self.route_injection
            and self.regulatory_status != ProductRegulatoryStatus.INVESTIGATIONAL
        ):
            errors["regulatory_status"] = INJECTION_NEEDS_STATUS
        if (
            self.regulatory_status == ProductRegulatoryStatus.INVESTIGATIONAL
            and not self.regulatory_reference.strip()
        ):
            errors["regulatory_reference"] = REFERENCE_NEEDED
        low, high = self.storage_min_celsius, self.storage_max_celsius
        if low is not None and high is not None and low > high:
            errors["storage_max_celsius"] = STORAGE_RANGE_ORDER
        for field in ("storage_min_celsius", "storage_max_celsius"):
            if problem := bounds.reading_problem(getattr(self, field)):
                errors[field] = problem
        if problem := bounds.notes_problem(self.handling_notes):
            errors["handling_notes"] = problem
        if errors:
            raise ValidationError(errors)

    def fits_route(self, route: str) -> bool:
        return self.route_injection if route == DeliveryRoute.INJECTION else self.route_topical


def positive_or_null(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": 0})


class LotStatus(models.TextChoices):
    """A lot's life: received, then released for use (or quarantined), and in the end
    recalled, expired or discarded. clinic/lots/rules.py says which moves exist."""

    RECEIVED = "received", "Received (not yet released)"
    RELEASED = "released", "Released for use"
    QUARANTINED = "quarantined", "Quarantined"
    RECALLED = "recalled", "Recalled"
    EXPIRED = "expired", "Expired"
    DISCARDED = "discarded", "Discarded"


class ProductLot(models.Model):
    product = models.ForeignKey(ExosomeProduct, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=80)
    received_on = models.DateField()
    expires_on = models.DateField()
    particles_per_ml = models.DecimalField(
        "particle count (particles per mL)",
        max_digits=20,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    size_median_nm = models.DecimalField(
        "median size (nm)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    size_mode_nm = models.DecimalField(
        "mode size (nm)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    size_min_nm = models.DecimalField(
        "smallest size (nm)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    size_max_nm = models.DecimalField(
        "largest size (nm)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    surface_markers = models.TextField(blank=True, help_text="e.g. CD9, CD63, CD81")
    characterisation_document = models.CharField(
        "characterisation document (reference)", max_length=300, blank=True
    )
    # Changed only through clinic.lots.actions.lot_change_status (the lot page), which logs
    # who, when and why in LotStatusChange.
    status = models.CharField(max_length=20, choices=LotStatus.choices, default=LotStatus.RECEIVED)
    # A clinician reviewed every storage reading up to this day and released the lot: an
    # out-of-range reading on or before it no longer blocks a session.
    storage_reviewed_through = models.DateField(null=True, blank=True)
    # Bumped on every status change: a change from an older page is refused.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()
    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["product__name", "-received_on"]
        permissions = [
            ("change_lot_status", "Can quarantine, discard or mark a lot expired"),
            ("release_lot", "Can release a lot for use (after reviewing its storage)"),
            ("recall_lot", "Can mark a lot recalled"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LotStatus.values), name="lot_status_known"
            ),
            models.UniqueConstraint(
                fields=["product", "lot_number"], name="lot_number_per_product"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("received_on")),
                name="lot_expiry_after_received",
            ),
            models.CheckConstraint(
                condition=positive_or_null("particles_per_ml"), name="lot_particles_positive"
            ),
            *[
                models.CheckConstraint(condition=positive_or_null(f), name=f"lot_{f}_positive")
                for f in ("size_median_nm", "size_mode_nm", "size_min_nm", "size_max_nm")
            ],
            models.CheckConstraint(
                condition=pair_ordered("size_min_nm", "size_max_nm"), name="lot_size_range_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.product.name} lot {self.lot_number}"

    def clean(self):
        errors = {}
        if self.received_on and self.expires_on and self.expires_on <= self.received_on:
            errors["expires_on"] = EXPIRY_BEFORE_RECEIVED
        today = date.today()
        if problem := bounds.date_problem(
            self.received_on, earliest=bounds.EARLIEST_RECORD, latest=today
        ):
            errors["received_on"] = problem
        if problem := bounds.date_problem(
            self.expires_on, earliest=bounds.EARLIEST_RECORD, latest=bounds.years_after(today, 10)
        ):
            errors["expires_on"] = problem
        for field in ("size_median_nm", "size_mode_nm", "size_min_nm", "size_max_nm"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                errors[field] = SIZE_NOT_POSITIVE
        if (
            self.size_min_nm is not None
            and self.size_max_nm is not None
            and self.size_min_nm > self.size_max_nm
        ):
            errors["size_max_nm"] = MIN_ABOVE_MAX
        if errors:
            raise ValidationError(errors)


class StorageCheck(models.Model):
    """One reading of the cold chain: when, what temperature, who read it."""

    lot = models.ForeignKey(ProductLot, on_delete=models.CASCADE, related_name="storage_checks")
    checked_on = models.DateField()
    temperature_celsius = models.DecimalField(max_digits=5, decimal_places=1)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    notes = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()
    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["lot", "-checked_on", "-id"]

    def __str__(self):
        return f"{format_date(self.checked_on)}: {format_celsius(self.temperature_celsius)}"

    def clean(self):
        errors = {}
        if problem := bounds.date_problem(
            self.checked_on, earliest=bounds.EARLIEST_RECORD, latest=date.today()
        ):
            errors["checked_on"] = problem
        if problem := bounds.reading_problem(self.temperature_celsius):
            errors["temperature_celsius"] = problem
        if errors:
            raise ValidationError(errors)


CONSENT_TEMPLATE_NOTE = (
    "Starting template written for this app from published sources: the clinic must review "
    "and adapt it (with its own clinicians and advisers) before patients sign it."
)


class ConsentDocument(models.Model):
    """A consent text patients sign, kept by clinic admins.

    One row per version: a new version is a new row with the same slug, so what a patient
    signed (planner.signing keeps its own copy of the text) never changes. A plan needs the
    newest active version of every document whose treatment kinds it includes."""

    slug = models.SlugField(max_length=80)
    version = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    treatment_kinds = models.JSONField(
        default=list,
        help_text="The treatment kinds this consent is needed for: "
        + ", ".join(f"{value} ({label})" for value, label in TreatmentKind.choices),
    )
    is_template = models.BooleanField(
        "still a template",
        default=True,
        help_text="Ticked while the clinic has not reviewed the wording; shown to patients.",
    )
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    # Part of the cached catalog (clinic/catalog_cache.py): bulk writes replace its token too.
    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="consent_slug_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="consent_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} (version {self.version})"

    def clean(self):
        kinds = self.treatment_kinds
        if not isinstance(kinds, list) or not kinds or set(kinds) - set(TreatmentKind.values):
            raise ValidationError(
                {
                    "treatment_kinds": "List one or more of: "
                    + ", ".join(TreatmentKind.values)
                    + '; for example ["injectable"].'
                }
            )


class DepositRule(models.Model):
    """What deposit a plan asks for when the patient accepts it: none, a fixed amount, or a
    percentage of the quote's minimum. One row; the newest is in force."""

    class Kind(models.TextChoices):
        NONE = "none", "No deposit"
        FIXED = "fixed", "A fixed amount"
        PERCENT = "percent", "A percentage of the quote's minimum"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NONE)
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="For a fixed amount."
    )
    percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="For a percentage."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="deposit_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gt=0) & Q(percent__lte=100)),
                name="deposit_percent_1_to_100",
            ),
        ]

    def __str__(self):
        if self.kind == self.Kind.FIXED:
            return f"Deposit: {self.amount} fixed"
        if self.kind == self.Kind.PERCENT:
            return f"Deposit: {self.percent}% of the quote's minimum"
        return "No deposit"

    def clean(self):
        if self.kind == self.Kind.FIXED and not self.amount:
            raise ValidationError({"amount": "Enter the fixed deposit amount."})
        if self.kind == self.Kind.PERCENT and not self.percent:
            raise ValidationError({"percent": "Enter the percentage."})


class LotStatusChange(models.Model):
    """One move in a lot's life: from, to, who, when and why."""

    lot = models.ForeignKey(ProductLot, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=LotStatus.choices)
    to_status = models.CharField(max_length=20, choices=LotStatus.choices)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=LotStatus.values), name="lot_change_status_known"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="lot_change_has_reason"),
        ]

    def __str__(self):
        return f"{self.lot}: {self.from_status} → {self.to_status}"


class CatalogVersion(models.Model):
    """One row: a token that changes on every catalog write, in the same transaction as the
    write. Each app server caches the catalog under the token it read and reloads it when the
    token differs (clinic/catalog_cache.py), so a write on one server is seen by all. A
    random token rather than a counter: a rolled-back bump can never be reused by the next
    one, so a snapshot taken inside a rolled-back transaction is never matched again."""

    token = models.CharField(max_length=32)

    def __str__(self):
        return self.token


def bump_catalog_version() -> None:
    """Every catalog write calls this (signals and CatalogQuerySet's bulk paths)."""
    token = uuid4().hex
    if not CatalogVersion.objects.filter(pk=1).update(token=token):
        CatalogVersion.objects.update_or_create(pk=1, defaults={"token": token})


from clinic.staff.models import StaffChange  # noqa: E402, F401  (the staff audit log)
