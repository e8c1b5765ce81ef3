"""A worked example of the clinic's numbers: known plans, sessions and products whose sums,
conversion and median are worked out by hand in the tests."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from clinic.catalog_seed import INJECTABLE, LASER, MICRONEEDLING
from planner.models import Course, PlanStatus, SessionStatus, TreatmentSession
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import PlanFactory

TODAY = date(2026, 6, 15)


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def quoted_plan(patient, status, low, high, quoted, decided=None, currency="USD", **fields):
    return PlanFactory(
        patient=patient,
        status=status,
        quote={"currency": currency, "total_min": str(low), "total_max": str(high)},
        quote_low=Decimal(low),
        quote_high=Decimal(high),
        quote_currency=currency,
        quoted_at=quoted,
        decided_at=decided,
        **fields,
    )


def course(plan, treatment, sessions, position=0):
    return Course.objects.create(
        plan=plan,
        position=position,
        treatment=treatment,
        sessions=sessions,
        interval_count=1,
        interval_unit="months",
        first_session=TODAY,
    )


def session(course, number, day, status=SessionStatus.PLANNED, lot=None, by=None):
    performed = status == SessionStatus.PERFORMED
    return TreatmentSession.objects.create(
        plan=course.plan,
        course=course,
        number=number,
        planned_date=day,
        status=status,
        performed_on=day if performed else None,
        performed_by=by if performed else None,
        lot_used=lot,
    )


def make_worked_example(catalog, patient, clinician) -> dict:
    """Today is 15 Jun 2026; the conversion window is Jul 2025 – Jun 2026."""
    S = PlanStatus
    plans = {
        "open": quoted_plan(patient, S.PRESENTED, 600, 1500, at(2026, 6, 2, 9)),
        "accepted": quoted_plan(
            patient, S.ACCEPTED, 2000, 4000, at(2026, 5, 10, 10), at(2026, 5, 14, 10)
        ),
        "declined": quoted_plan(
            patient, S.DECLINED, 600, 1500, at(2026, 5, 20, 10), at(2026, 5, 30, 10)
        ),
        "completed": quoted_plan(
            patient, S.COMPLETED, 3000, 6000, at(2026, 1, 5, 10), at(2026, 1, 7, 10)
        ),
        "accepted_then_cancelled": quoted_plan(
            patient, S.CANCELLED, 600, 1500, at(2026, 3, 1, 10), at(2026, 3, 9, 10)
        ),
        "withdrawn": quoted_plan(patient, S.CANCELLED, 100, 200, at(2026, 3, 15, 10)),
        "euro": quoted_plan(patient, S.PRESENTED, 500, 700, at(2026, 6, 1, 10), currency="EUR"),
        "old_accepted": quoted_plan(
            patient, S.ACCEPTED, 1000, 1000, at(2025, 5, 1, 10), at(2025, 5, 3, 10)
        ),
        "draft": PlanFactory(patient=patient),
    }
    product = ExosomeProductFactory(name="=HYPERLINK(evil)", manufacturer="+Maker")
    lot = ProductLotFactory(product=product, lot_number="L-1")
    mn, laser = catalog[MICRONEEDLING], catalog[LASER]
    accepted = course(plans["accepted"], mn, 5)
    session(accepted, 1, date(2026, 6, 10), SessionStatus.CANCELLED)
    session(accepted, 2, date(2026, 6, 12))  # passed, not recorded
    session(accepted, 3, date(2026, 6, 20))
    session(accepted, 4, date(2026, 7, 20))
    session(accepted, 5, date(2026, 8, 20))
    done_mn = course(plans["completed"], mn, 2)
    session(done_mn, 1, date(2026, 1, 20), SessionStatus.PERFORMED, lot, clinician)
    session(done_mn, 2, date(2026, 2, 20), SessionStatus.PERFORMED, lot, clinician)
    done_laser = course(plans["completed"], laser, 2, position=1)
    session(done_laser, 1, date(2026, 2, 1), SessionStatus.NO_SHOW)
    session(done_laser, 2, date(2026, 3, 1), SessionStatus.PERFORMED, by=clinician)
    old = course(plans["old_accepted"], catalog[INJECTABLE], 2)
    session(old, 1, date(2026, 7, 5))
    session(old, 2, date(2026, 12, 20))  # past the 6 months ahead
    return plans
