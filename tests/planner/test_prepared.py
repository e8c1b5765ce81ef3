"""planner.prepared: a queryset compiled once and run again with new values gives the rows
the ORM gives for those values, converted the same way, on either database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import DateTimeField, F, IntegerField
from django.utils import timezone

from planner.models import DepositBalance, Plan, PlanStatus
from planner.prepared import Param, Params, Prepared
from tests.factories.planner import PatientFactory, PlanFactory

pytestmark = pytest.mark.django_db
VALUES = ("id", "title", "status", "patient__full_name", "decided_at", "deposit_balance__asked")

DECIDED_SINCE = Prepared(
    lambda: (
        Plan.objects.filter(decided_at__gte=Param("since", DateTimeField()))
        .order_by(F("decided_at").desc(), "-id")
        .values(*VALUES)
    )
)
BY_ID = Prepared(
    lambda: (
        Plan.objects.filter(id__in=Params("ids", IntegerField(), 3))
        .order_by("id")
        .values("id", "title")
    )
)


@pytest.fixture
def plans():
    now = timezone.now()
    patient = PatientFactory(full_name="Ann <b>Example</b>")
    made = [
        PlanFactory(patient=patient, title=f"Plan {n}", status=PlanStatus.ACCEPTED)
        for n in range(5)
    ]
    for n, plan in enumerate(made):
        Plan.objects.filter(pk=plan.pk).update(decided_at=now - timedelta(days=n))
    DepositBalance.objects.create(
        plan=made[1], asked=Decimal("120.50"), received=Decimal("0"), currency="USD"
    )
    return made


def test_rows_are_the_orms_for_each_value_and_window(plans):
    for days in (0.5, 2.5, 10):
        since = timezone.now() - timedelta(days=days)
        orm = Plan.objects.filter(decided_at__gte=since).order_by("-decided_at", "-id")
        orm = orm.values(*VALUES)
        for window in (slice(0, 2), slice(1, 4), slice(0, 50)):
            assert DECIDED_SINCE.bind(since=since)[window] == list(orm[window])


def test_values_are_converted_as_the_orm_converts_them(plans):
    rows = DECIDED_SINCE.bind(since=timezone.now() - timedelta(days=10))[0:5]

    assert rows[1]["deposit_balance__asked"] == Decimal("120.50")
    assert rows[0]["decided_at"].tzinfo is not None
    assert rows[0]["patient__full_name"] == "Ann <b>Example</b>"  # escaping is the page's


def test_a_list_fills_its_placeholders_and_must_fit(plans):
    ids = [plans[3].pk, plans[0].pk]

    assert [row["id"] for row in BY_ID.bind(ids=ids)[0:10]] == sorted(ids)
    with pytest.raises(ValueError, match="4 values for 3 placeholders"):
        BY_ID.bind(ids=[p.pk for p in plans[:4]])[0:10]
    with pytest.raises(ValueError, match="0 values"):
        BY_ID.bind(ids=[])[0:10]


def test_a_prepared_query_is_read_a_window_at_a_time_or_whole(plans):
    with pytest.raises(TypeError, match="a window at a time"):
        DECIDED_SINCE.bind(since=timezone.now())[0:]
    everything = DECIDED_SINCE.bind(since=timezone.now() - timedelta(days=10)).all()
    assert [row["id"] for row in everything] == [plan.pk for plan in plans]
