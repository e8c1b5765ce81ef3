"""seed_demo's after-the-quote rows: demo products and lots (with cold-chain readings), the
product and lot on topical courses, one session record per planned session of an accepted,
in-progress or completed plan, and the signing trail of every plan shown to a patient (link,
signed record, consent, events, deposits).

Pure row building: plain dicts out, nothing written here (seed_demo inserts them in bulk).
Shaped like a clinic's data so the day board, the reports and the lot pages have realistic
work to do: most sessions of a finished plan performed, a few no-shows and cancellations, one
recalled and one quarantined lot, one storage excursion, links opened but not signed."""

import bisect
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings

from clinic.models import ExosomeProduct, LotStatus, TreatmentKind
from planner.models import PlanStatus, SessionStatus, SignedRecord, SigningEvent
from planner.planning import course_input
from planner.scheduling import build_schedule

WITH_SESSIONS = {PlanStatus.ACCEPTED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED}
DECIDED = WITH_SESSIONS | {PlanStatus.DECLINED}
TOPICAL_KINDS = {TreatmentKind.MICRONEEDLING, TreatmentKind.FRACTIONAL_LASER}
LOT_EVERY_DAYS = 90
LOT_SHELF_DAYS = 540
LINK_DAYS = 14
DEPOSIT_SHARE = Decimal("0.2")
DEMO_PRODUCTS = (
    ("Demo MSC exosome serum", "msc", "Umbilical-cord MSC line (demo)"),
    ("Demo platelet exosome gel", "platelet", ""),
)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def demo_products() -> list[ExosomeProduct]:
    """Two topical products of a made-up manufacturer (ORM: a handful of rows)."""
    products = []
    for name, source, cell_line in DEMO_PRODUCTS:
        product, _ = ExosomeProduct.objects.get_or_create(
            manufacturer="Demo Biologics",
            name=name,
            defaults={
                "exosome_source": source,
                "source_cell_line": cell_line,
                "grade": "medical",
                "route_topical": True,
                "regulatory_status": "cosmetic_topical",
                "storage_min_celsius": Decimal("2"),
                "storage_max_celsius": Decimal("8"),
            },
        )
        products.append(product)
    return products


def lot_rows(products, *, today: date, since: date) -> list[dict]:
    """A lot every quarter per product from `since` to next quarter. Past their expiry they
    are expired; the newest is received, not yet released; one lot in use is recalled and
    one quarantined (the board and the recall page then have something to show)."""
    rows = []
    for index, product in enumerate(products):
        received = since
        number = 1
        while received <= today + timedelta(days=LOT_EVERY_DAYS):
            expires = received + timedelta(days=LOT_SHELF_DAYS)
            status = LotStatus.RELEASED
            if expires < today:
                status = LotStatus.EXPIRED
            elif received > today:
                status = LotStatus.RECEIVED
            rows.append(
                {
                    "product_id": product.pk,
                    "lot_number": f"DEMO-{index + 1}-{number:03d}",
                    "received_on": received,
                    "expires_on": expires,
                    "status": status,
                    "characterisation_document": f"CoA DEMO-{index + 1}-{number:03d}",
                }
            )
            received += timedelta(days=LOT_EVERY_DAYS)
            number += 1
    in_use = [r for r in rows if r["status"] == LotStatus.RELEASED]
    if len(in_use) >= 2:
        in_use[0]["status"] = LotStatus.RECALLED
        in_use[-1]["status"] = LotStatus.QUARANTINED
    return rows


def storage_rows(lots: list[dict], *, today: date, staff_id: int) -> list[dict]:
    """Monthly fridge readings while a lot is in stock; one excursion (12 °C) on the
    quarantined lot, which is why it is quarantined."""
    rows = []
    for lot in lots:
        day = lot["received_on"]
        end = min(lot["expires_on"], today)
        while day <= end:
            excursion = lot["status"] == LotStatus.QUARANTINED and day + timedelta(days=30) > end
            rows.append(
                {
                    "lot_id": lot["id"],
                    "checked_on": day,
                    "temperature_celsius": Decimal("12") if excursion else Decimal("4"),
                    "checked_by_id": staff_id,
                    "notes": "Fridge door left open" if excursion else "",
                }
            )
            day += timedelta(days=30)
    return rows


class LotFinder:
    """The lot of a product a course starting on a day would use: the newest received by
    then (or the first ever, for a course before any lot)."""

    def __init__(self, lots: list[dict]):
        self.by_product: dict[int, tuple[list[date], list[dict]]] = {}
        for lot in sorted(lots, key=lambda r: r["received_on"]):
            days, rows = self.by_product.setdefault(lot["product_id"], ([], []))
            days.append(lot["received_on"])
            rows.append(lot)

    def lot_for(self, product_id: int, day: date) -> dict:
        days, rows = self.by_product[product_id]
        return rows[max(bisect.bisect_right(days, day) - 1, 0)]


@dataclass
class DeliveryRows:
    """Rows collected for one batch of plans; seed_demo inserts them, then starts a new one."""

    sessions: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    consents: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    deposits: list[dict] = field(default_factory=list)


class DeliveryBuilder:
    """Builds the after-the-quote rows of each plan seed_demo lays out. Ids are given here
    (seed_demo inserts with explicit ids, as it does for plans)."""

    def __init__(self, *, rng, today, tz, staff_id, products, lots, consent, first_ids):
        self.rng, self.today, self.tz, self.staff_id = rng, today, tz, staff_id
        self.products = products
        self.lots = LotFinder(lots)
        self.consent = consent
        self.next_id = dict(first_ids)  # table name -> next id
        self.rows = DeliveryRows()

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def take(self) -> DeliveryRows:
        rows, self.rows = self.rows, DeliveryRows()
        return rows

    # --- courses ---------------------------------------------------------------------------

    def course_product(self, draft, status) -> tuple[int | None, int | None]:
        """Most topical courses of a plan going ahead name a product and its lot."""
        if status not in WITH_SESSIONS or draft.treatment.kind not in TOPICAL_KINDS:
            return None, None
        if self.rng.random() < 0.3:
            return None, None
        product = self.rng.choice(self.products)
        return product.pk, self.lots.lot_for(product.pk, draft.first_session)["id"]

    # --- sessions --------------------------------------------------------------------------

    def sessions(self, *, plan: dict, drafts, courses: list[dict]) -> None:
        if plan["status"] not in WITH_SESSIONS:
            return
        by_key = {str(c["position"]): c for c in courses}
        schedule = build_schedule([course_input(d) for d in drafts])
        rng = self.rng
        for scheduled in schedule.sessions:
            course = by_key[scheduled.course_key]
            day = scheduled.session_date
            status = self._session_status(plan["status"], day)
            performed = status == SessionStatus.PERFORMED
            lot_id = course["lot_id"]
            self.rows.sessions.append(
                {
                    "id": self._id("session"),
                    "plan_id": plan["id"],
                    "course_id": course["id"],
                    "number": scheduled.number,
                    "planned_date": day,
                    "planned_time": time(9 + rng.randrange(9), 30 * rng.randrange(2)),
                    "planned_lot_id": lot_id,
                    "needs_lot": course["product_id"] is not None,
                    "status": status,
                    "performed_on": min(day, self.today) if performed else None,
                    "performed_by_id": self.staff_id if performed else None,
                    "lot_used_id": lot_id if performed else None,
                    "updated_at": datetime.combine(min(day, self.today), time(18), tzinfo=self.tz),
                    "updated_by_id": self.staff_id,
                }
            )

    def _session_status(self, plan_status, day: date) -> str:
        roll = self.rng.random()
        if plan_status == PlanStatus.ACCEPTED or (
            plan_status == PlanStatus.IN_PROGRESS and day >= self.today
        ):
            return SessionStatus.PLANNED
        if roll < 0.03:
            return SessionStatus.NO_SHOW
        if roll < 0.06:
            return SessionStatus.CANCELLED
        return SessionStatus.PERFORMED

    # --- the signing trail -----------------------------------------------------------------

    def decision_times(self, *, status, updated: datetime, start: date):
        """(quoted_at, signed_at) for a plan shown to the patient: a decision a few days to
        weeks after the quote, before the first session, never in the future."""
        if status not in DECIDED:
            return updated, None
        now = datetime.combine(self.today, time(12), tzinfo=self.tz)
        signed = min(
            datetime.combine(start - timedelta(days=1 + self.rng.randrange(7)), time(11), self.tz),
            updated if status == PlanStatus.DECLINED else now,
        )
        return signed - timedelta(days=self.rng.randrange(31), hours=self.rng.randrange(8)), signed

    def signing(self, *, plan: dict, patient_name: str, signed_at: datetime | None) -> None:
        status = plan["status"]
        if "quote" not in plan:
            return
        rng, quoted = self.rng, plan["quoted_at"]
        link_id = self._id("link")
        opened = status in DECIDED or rng.random() < 0.5
        self.rows.links.append(
            {
                "id": link_id,
                "plan_id": plan["id"],
                "token_hash": _hash(f"seed-demo-link-{link_id}"),
                "plan_version": plan["version"],
                "kiosk": rng.random() < 0.3,
                "created_at": quoted,
                "created_by_id": self.staff_id,
                "expires_at": quoted + timedelta(days=LINK_DAYS),
                "used_at": signed_at,
            }
        )
        self._event(SigningEvent.Kind.CREATED, quoted, plan, link_id, user=True)
        if opened:
            self._event(SigningEvent.Kind.OPENED, quoted + timedelta(hours=20), plan, link_id)
        if signed_at is None:
            return
        accepted = status != PlanStatus.DECLINED
        self._record(plan, link_id, patient_name, signed_at, accepted)
        kind = SigningEvent.Kind.SIGNED if accepted else SigningEvent.Kind.DECLINED
        self._event(kind, signed_at, plan, link_id)

    def _record(self, plan, link_id, patient_name, signed_at, accepted: bool) -> None:
        quote = plan["quote"]
        currency = quote["currency"] or settings.CURRENCY
        shown = f"<p>Quote for plan {plan['id']}, version {plan['version']}.</p>"
        due = None
        if accepted and quote["total_min"]:
            due = (Decimal(quote["total_min"]) * DEPOSIT_SHARE).quantize(Decimal("0.01")) or None
        record_id = self._id("record")
        self.rows.records.append(
            {
                "id": record_id,
                "plan_id": plan["id"],
                "link_id": link_id,
                "decision": (
                    SignedRecord.Decision.ACCEPTED if accepted else SignedRecord.Decision.DECLINED
                ),
                "plan_version": plan["version"],
                "typed_name": patient_name if accepted else "",
                "decline_reason": "" if accepted else "Decided to wait.",
                "signed_at": signed_at,
                "shown_hash": _hash(shown),
                "shown_summary_html": shown,
                "deposit_due": due,
                "currency": currency,
                "signature_png": b"",
                "pdf": b"",
            }
        )
        if accepted and self.consent is not None:
            self.rows.consents.append(
                {
                    "id": self._id("consent"),
                    "record_id": record_id,
                    "document_id": self.consent.pk,
                    "slug": self.consent.slug,
                    "version": self.consent.version,
                    "title": self.consent.title,
                    "text": self.consent.text,
                }
            )
        if due and self.rng.random() < 0.7:
            self.rows.deposits.append(
                {
                    "id": self._id("deposit"),
                    "plan_id": plan["id"],
                    "amount": due,
                    "currency": currency,
                    "received_on": signed_at.date(),
                    "method": self.rng.choice(["card", "cash", "transfer"]),
                    "reference": "",
                    "recorded_by_id": self.staff_id,
                    "recorded_at": signed_at,
                }
            )

    def _event(self, kind, at, plan, link_id, *, user: bool = False) -> None:
        self.rows.events.append(
            {
                "id": self._id("event"),
                "at": at,
                "kind": kind,
                "plan_id": plan["id"],
                "link_id": link_id,
                "user_id": self.staff_id if user else None,
            }
        )
