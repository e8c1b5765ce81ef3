"""Synthetic patients and plans in bulk, for the benchmark and for trying the app at the
size of a clinic chain with years of history.

Deterministic: the same arguments on an empty database give the same rows (names, dates,
courses, statuses), so two benchmark runs compare like with like. Rows go in as multi-row
bulk inserts in one transaction, each with its '+' history record as django-simple-history
would write it.

Why not QuerySet.bulk_create: it spends 60-200 µs of Python per row here (field
preparation and SQL assembly in the compiler), which made 20,000 patients and 100,000 plans
take 75 s on SQLite; prepared rows through executemany take a fraction of that."""

import io
import random
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from clinic.models import (
    ConsentDocument,
    IntervalUnit,
    PriceRange,
    ProductLot,
    StorageCheck,
    TreatmentKind,
    TreatmentType,
)
from clinic.roles import CLINICIAN
from planner import derived
from planner.management import demo_delivery
from planner.models import (
    Course,
    Deposit,
    Indication,
    Patient,
    Plan,
    PlanStatus,
    ShareLink,
    SignedConsent,
    SignedRecord,
    SigningEvent,
    TreatmentSession,
    quote_columns,
)
from planner.patient_search import search_keys
from planner.planning import CourseDraft, current_estimate, quote_from_estimate


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Aisha Alba Amara Ana Anika Ava Bea Camila Carmen Chloe Clara Dana Diana Elena "
    "Elif Ella Emma Eva Fatima Freya Grace Hana Ines Iris Isla Jade Julia Kai Lara Layla "
    "Lea Lena Lina Lucia Luna Maya Mei Mia Nadia Nina Noor Olivia Paula Priya Rosa Ruth "
    "Sara Sofia Tara Una Vera Yara Zoe Adam Ben Carlos David Ethan Felix Hugo Ivan Jon "
    "Leo Luis Marco Noah Omar Paul Raj Sam Theo Tom Victor"
)
LAST_NAMES = _words(
    "Abbott Adler Alvarez Andersen Bauer Becker Bennett Brooks Chen Costa Cruz Dalton "
    "Diaz Dubois Ellis Evans Fischer Flores Garcia Gomez Grant Gupta Hale Hansen Hayes "
    "Herrera Hughes Ito Jensen Kaur Keller Khan Kim Klein Kowalski Larsen Lee Lopez "
    "Martin Meyer Moreau Morris Nguyen Novak Okafor Olsen Ortiz Park Patel Perez Price "
    "Quinn Ramos Reed Reyes Rossi Russo Sato Schmidt Silva Singh Stone Suzuki Tanaka "
    "Torres Vargas Wagner Walsh Weber Wong Yamamoto Young Zhang"
)
TITLES = (
    "Skin quality",
    "Glow before the wedding",
    "Post-laser recovery",
    "Scar revision support",
    "Spring refresh",
    "Fine lines, forehead and eyes",
    "Microneedling series",
    "Recovery after resurfacing",
    "Hair density (investigational)",
    "Maintenance",
)
# Every table seed_demo fills, in insertion order (sequences and statistics follow them).
SEEDED = (
    Patient,
    ProductLot,
    StorageCheck,
    Plan,
    Course,
    TreatmentSession,
    ShareLink,
    SignedRecord,
    SignedConsent,
    SigningEvent,
    Deposit,
)
# Days ago a plan was last changed, by status: open plans are recent, finished ones spread
# over the years.
AGE_DAYS = {
    PlanStatus.DRAFT: (0, 120),
    PlanStatus.PRESENTED: (0, 120),
    PlanStatus.ACCEPTED: (0, 60),
    PlanStatus.IN_PROGRESS: (14, 300),
}
# Roughly how a clinic's plans spread over the workflow after a few years.
STATUS_WEIGHTS = {
    PlanStatus.DRAFT: 22,
    PlanStatus.PRESENTED: 12,
    PlanStatus.ACCEPTED: 8,
    PlanStatus.IN_PROGRESS: 10,
    PlanStatus.COMPLETED: 33,
    PlanStatus.DECLINED: 9,
    PlanStatus.CANCELLED: 6,
}
QUOTED = {
    PlanStatus.PRESENTED,
    PlanStatus.ACCEPTED,
    PlanStatus.IN_PROGRESS,
    PlanStatus.COMPLETED,
    PlanStatus.DECLINED,
}
COURSES_PER_PLAN = {1: 45, 2: 33, 3: 15, 4: 5, 6: 2}
HISTORY_SPAN_DAYS = 5 * 365
DEMO_USERNAME = "demo-clinician"
BATCH = 5000


class BulkInserter:
    """Inserts plain dicts (attname -> Python value) into a model's table and its
    simple-history table, with executemany. Columns not given take the field default."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.sql = self._insert_sql(model._meta.db_table, self.fields)
        self.converters = {f.attname: self._converter(f) for f in self.fields}
        self.has_history = hasattr(model, "history")
        if not self.has_history:  # signing rows, deposits: the model keeps no history
            return
        historical = model.history.model
        self.history_fields = [
            f for f in historical._meta.concrete_fields if f.attname != "history_id"
        ]
        self.history_extra = {"history_change_reason": None, "history_type": "+"}
        self.history_sql = self._insert_sql(historical._meta.db_table, self.history_fields)
        self.converters.update(
            {
                f.attname: self._converter(f)
                for f in self.history_fields
                if f.attname not in self.converters
            }
        )

    @staticmethod
    def _insert_sql(table, fields):
        quote = connection.ops.quote_name
        names = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        return f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"

    @staticmethod
    def _converter(field):
        ops = connection.ops
        if isinstance(field, models.DateTimeField):
            return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
        if isinstance(field, models.DateField):
            return lambda v: None if v is None else ops.adapt_datefield_value(v)
        if isinstance(field, models.TimeField):
            return lambda v: None if v is None else ops.adapt_timefield_value(v)
        if isinstance(field, models.DecimalField):
            return lambda v: None if v is None else ops.adapt_decimalfield_value(v)
        if isinstance(field, models.JSONField):
            return lambda v: field.get_db_prep_save(v, connection)
        return None

    def _row(self, values: dict, fields) -> tuple:
        converters = self.converters
        row = []
        for field in fields:
            value = values[field.attname]
            convert = converters[field.attname]
            row.append(value if convert is None else convert(value))
        return tuple(row)

    def insert(self, rows: list[dict], *, history_date=None, history_user_id=None) -> None:
        if not rows:
            return
        if "id" not in rows[0]:  # rows nothing else refers to: numbered here
            first = self.next_id()
            rows = [{**row, "id": first + offset} for offset, row in enumerate(rows)]
        full = [{**self.defaults, **row} for row in rows]
        if not self.has_history:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, [self._row(r, self.fields) for r in full])
            return
        history = [
            {
                **row,
                **self.history_extra,
                "history_date": history_date(row),
                "history_user_id": history_user_id,
            }
            for row in full
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, [self._row(r, self.fields) for r in full])
            cursor.executemany(
                self.history_sql, [self._row(r, self.history_fields) for r in history]
            )

    def next_id(self) -> int:
        return (self.model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


class Command(BaseCommand):
    help = (
        "Add synthetic patients and plans (bulk inserts, deterministic) for benchmarks and "
        "demos, e.g. --patients 20000 --plans 100000. Never in production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument("--plans", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="the day the data is laid out around, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args, patients, plans, seed, today, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo adds made-up patients: never in production.")
        if patients < 1 or plans < 0:
            raise CommandError("Give at least one patient and zero or more plans.")
        call_command(
            "load_catalog", stdout=self.stdout if options["verbosity"] > 1 else io.StringIO()
        )
        today = today or timezone.localdate()
        started = timezone.now()
        with transaction.atomic():
            self.staff_id = self._demo_clinician()
            self.patient_names = self._patients(random.Random(seed), patients, today)
            self.delivery = self._delivery_builder(random.Random(seed + 2), today)
            course_count = self._plans(
                random.Random(seed + 1), list(self.patient_names), plans, today
            )
            # The bulk inserts bypass the actions that keep these: recomputed in SQL.
            derived.rebuild_all(connection)
            # Ids were given explicitly; PostgreSQL's sequences must move past them.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), SEEDED):
                    cursor.execute(sql)
        if connection.vendor == "postgresql":
            # What autovacuum does within a minute of a bulk load: fresh planner statistics,
            # and the visibility map that lets an index-only scan skip the table rows (the
            # plans search read 1,400 plan rows from the heap without it: 8 ms instead of 1).
            # A bench that measured before autovacuum came by measured a passing state.
            # VACUUM cannot run inside a transaction (a test's): ANALYZE alone there.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            tables = [
                connection.ops.quote_name(model._meta.db_table)
                for base in SEEDED
                for model in ((base, base.history.model) if hasattr(base, "history") else (base,))
            ]
            with connection.cursor() as cursor:
                cursor.execute(f"{command} {', '.join(tables)}")
        seconds = (timezone.now() - started).total_seconds()
        added = self.delivery.next_id
        self.stdout.write(
            f"Added {patients} patients, {plans} plans, {course_count} courses, "
            f"{added['session'] - self.first_ids['session']} session records and "
            f"{added['record'] - self.first_ids['record']} signed records in {seconds:.1f} s."
        )

    def _demo_clinician(self) -> int:
        """The member of staff every synthetic row was created and changed by; no password,
        so nobody can log in as them."""
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"first_name": "Demo", "last_name": "Clinician"}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=CLINICIAN))
        return user.pk

    # --- patients ---------------------------------------------------------------------------

    def _patients(self, rng: random.Random, count: int, today: date) -> dict[int, str]:
        tz = timezone.get_current_timezone()
        names: dict[int, str] = {}
        inserter = BulkInserter(Patient)
        first_id = inserter.next_id()
        ids = list(range(first_id, first_id + count))
        for chunk_start in range(0, count, BATCH):
            rows = []
            for pk in ids[chunk_start : chunk_start + BATCH]:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                created = datetime.combine(
                    today - timedelta(days=rng.randrange(HISTORY_SPAN_DAYS)),
                    time(rng.randrange(8, 19), rng.randrange(60)),
                    tzinfo=tz,
                )
                name = f"{first} {last}"
                phone = f"+1 202 {pk // 10000 % 1000:03d} {pk % 10000:04d}"
                email = f"{first}.{last}.{pk}@example.com".lower()
                rows.append(
                    {
                        "id": pk,
                        "full_name": name,
                        "date_of_birth": today - timedelta(days=rng.randrange(18 * 365, 80 * 365)),
                        "phone": phone,
                        "email": email,
                        **search_keys(full_name=name, phone=phone, email=email),
                        "archived": rng.random() < 0.03,
                        "created_at": created,
                        "updated_at": created + timedelta(days=rng.randrange(60)),
                        "created_by_id": self.staff_id,
                        "updated_by_id": self.staff_id,
                    }
                )
            inserter.insert(
                rows, history_date=lambda row: row["created_at"], history_user_id=self.staff_id
            )
            names.update((row["id"], row["full_name"]) for row in rows)
        return names

    # --- products, lots and their fridge readings --------------------------------------------

    def _delivery_builder(self, rng: random.Random, today: date):
        products = demo_delivery.demo_products()
        lots = demo_delivery.lot_rows(
            products, today=today, since=today - timedelta(days=HISTORY_SPAN_DAYS + 400)
        )
        lot_inserter = BulkInserter(ProductLot)
        lot_id = lot_inserter.next_id()
        for offset, lot in enumerate(lots):
            lot["id"] = lot_id + offset
        tz = timezone.get_current_timezone()
        lot_inserter.insert(
            lots,
            history_date=lambda row: datetime.combine(row["received_on"], time(9), tzinfo=tz),
            history_user_id=self.staff_id,
        )
        BulkInserter(StorageCheck).insert(
            demo_delivery.storage_rows(lots, today=today, staff_id=self.staff_id),
            history_date=lambda row: datetime.combine(row["checked_on"], time(9), tzinfo=tz),
            history_user_id=self.staff_id,
        )
        # The consent a topical course's patient signs (a handful of rows: read in Python,
        # as SQLite cannot look inside a JSON list).
        consent = next(
            (
                c
                for c in ConsentDocument.objects.order_by("-version", "pk")
                if TreatmentKind.MICRONEEDLING in c.treatment_kinds
            ),
            None,
        )
        self.inserters = {
            "session": BulkInserter(TreatmentSession),
            "link": BulkInserter(ShareLink),
            "record": BulkInserter(SignedRecord),
            "consent": BulkInserter(SignedConsent),
            "event": BulkInserter(SigningEvent),
            "deposit": BulkInserter(Deposit),
        }
        self.first_ids = {name: ins.next_id() for name, ins in self.inserters.items()}
        return demo_delivery.DeliveryBuilder(
            rng=rng,
            today=today,
            tz=tz,
            staff_id=self.staff_id,
            products=products,
            lots=lots,
            consent=consent,
            first_ids=self.first_ids,
        )

    def _insert_delivery(self) -> None:
        rows = self.delivery.take()
        self.inserters["session"].insert(
            rows.sessions,
            history_date=lambda row: row["updated_at"],
            history_user_id=self.staff_id,
        )
        for name, batch in (
            ("link", rows.links),
            ("record", rows.records),
            ("consent", rows.consents),
            ("event", rows.events),
            ("deposit", rows.deposits),
        ):
            self.inserters[name].insert(batch)

    # --- plans and courses ------------------------------------------------------------------

    def _plans(self, rng: random.Random, patient_ids, count: int, today: date) -> int:
        treatments = list(TreatmentType.objects.filter(active=True).order_by("slug"))
        if not treatments:
            raise CommandError("No active treatments: run load_catalog first.")
        prices = PriceRange.objects.in_force(today)
        tz = timezone.get_current_timezone()
        statuses = list(STATUS_WEIGHTS)
        status_weights = list(STATUS_WEIGHTS.values())
        course_counts = list(COURSES_PER_PLAN)
        course_weights = list(COURSES_PER_PLAN.values())
        indications = list(Indication.values)
        # A few patients come back often; most have one or two plans.
        patient_weights = [rng.paretovariate(1.5) for _ in patient_ids]
        owners = rng.choices(patient_ids, weights=patient_weights, k=count)
        plan_inserter, course_inserter = BulkInserter(Plan), BulkInserter(Course)
        plan_id, course_id = plan_inserter.next_id(), course_inserter.next_id()

        course_total = 0
        for chunk_start in range(0, count, BATCH):
            plans, courses = [], []
            for owner in owners[chunk_start : chunk_start + BATCH]:
                status = rng.choices(statuses, status_weights)[0]
                age = rng.randrange(*AGE_DAYS.get(status, (30, HISTORY_SPAN_DAYS)))
                updated = datetime.combine(
                    today - timedelta(days=age),
                    time(rng.randrange(8, 19), rng.randrange(60), rng.randrange(60)),
                    tzinfo=tz,
                )
                start = max(updated.date(), today - timedelta(days=700)) + timedelta(days=7)
                drafts = self._drafts(
                    rng, treatments, rng.choices(course_counts, course_weights)[0], start=start
                )
                plan = {
                    "id": plan_id,
                    "patient_id": owner,
                    "title": f"{rng.choice(TITLES)} {updated:%Y}",
                    "indications": rng.sample(indications, rng.randrange(1, 3)),
                    "ready_by": (
                        drafts[-1].first_session + timedelta(days=rng.randrange(30, 120))
                        if rng.random() < 0.4
                        else None
                    ),
                    "status": status,
                    "version": 1 + rng.randrange(4),
                    "created_at": updated - timedelta(days=rng.randrange(30)),
                    "updated_at": updated,
                    "created_by_id": self.staff_id,
                    "updated_by_id": self.staff_id,
                }
                if status in QUOTED or (status == PlanStatus.CANCELLED and rng.random() < 0.5):
                    plan["quote"] = quote_from_estimate(current_estimate(drafts, prices))
                    plan["quoted_at"], signed_at = self.delivery.decision_times(
                        status=status, updated=updated, start=start
                    )
                    plan.update(quote_columns(plan["quote"]), decided_at=signed_at)
                investigational = any(d.treatment.is_investigational for d in drafts)
                if investigational and status != PlanStatus.DRAFT:
                    plan["investigational_reference"] = f"IND {rng.randrange(10000, 99999)}"
                    plan["patient_acknowledged_investigational"] = True
                    plan["investigational_recorded_at"] = updated
                    plan["investigational_recorded_by_id"] = self.staff_id
                plans.append(plan)
                plan_courses = []
                for position, draft in enumerate(drafts):
                    product_id, lot_id = self.delivery.course_product(draft, status)
                    plan_courses.append(
                        {
                            "id": course_id,
                            "plan_id": plan_id,
                            "position": position,
                            "treatment_id": draft.treatment.pk,
                            "sessions": draft.sessions,
                            "interval_count": draft.interval_count,
                            "interval_unit": draft.interval_unit,
                            "first_session": draft.first_session,
                            "exosome_source": draft.exosome_source,
                            "product_id": product_id,
                            "lot_id": lot_id,
                            "_saved_at": updated,
                        }
                    )
                    course_id += 1
                courses += plan_courses
                self.delivery.sessions(plan=plan, drafts=drafts, courses=plan_courses)
                if "quote" in plan:
                    self.delivery.signing(
                        plan=plan, patient_name=self.patient_names[owner], signed_at=signed_at
                    )
                plan_id += 1
            plan_inserter.insert(
                plans, history_date=lambda row: row["updated_at"], history_user_id=self.staff_id
            )
            course_inserter.insert(
                courses, history_date=lambda row: row["_saved_at"], history_user_id=self.staff_id
            )
            self._insert_delivery()
            course_total += len(courses)
        return course_total

    def _drafts(self, rng, treatments, count: int, *, start: date) -> list[CourseDraft]:
        drafts = []
        first = start
        for position in range(count):
            treatment = rng.choice(treatments)
            sessions = rng.randint(treatment.sessions_min or 1, treatment.sessions_max or 3)
            if treatment.interval_count and rng.random() < 0.8:
                interval_count, interval_unit = treatment.interval_count, treatment.interval_unit
            else:
                interval_count, interval_unit = rng.choice(
                    [(4, IntervalUnit.WEEKS), (6, IntervalUnit.WEEKS), (1, IntervalUnit.MONTHS)]
                )
            drafts.append(
                CourseDraft(
                    key=str(position),
                    treatment=treatment,
                    sessions=sessions,
                    interval_count=interval_count,
                    interval_unit=interval_unit,
                    first_session=first,
                    exosome_source=treatment.exosome_source,
                )
            )
            step = {"days": 1, "weeks": 7, "months": 31}[interval_unit] * interval_count
            first = first + timedelta(days=step * sessions + rng.randrange(7, 60))
        return drafts
