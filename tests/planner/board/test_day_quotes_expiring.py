"""The board's "expiring" list merges two screens read in order (plans by their live link's
expiry, plans without one by their quote's last day): its pages must be the whole list's,
soonest first, each plan once."""

import random
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from planner.board import day
from tests.planner.board import builders

pytestmark = pytest.mark.django_db


def test_pages_interleave_links_and_quotes_running_out(front_desk, settings):
    settings.QUOTE_VALID_DAYS = 30
    rng = random.Random(11)
    today = timezone.localdate()
    expected = []
    for n in range(26):  # quotes whose last valid day is within the week, no link
        plan = builders.presented_plan(quoted_days=23 + rng.randrange(8), title=f"Quote {n}")
        last_day = timezone.localdate(plan.quoted_at) + timedelta(days=30)
        ends = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
        expected.append((ends, plan.quoted_at, plan.pk))
    for n in range(18):  # links running out within the week
        plan = builders.presented_plan(quoted_days=rng.randrange(20), title=f"Link {n}")
        link = builders.link_for(plan, staff=front_desk, expires_in_days=rng.uniform(0.1, 6.9))
        expected.append((link.expires_at, plan.quoted_at, plan.pk))
    for n in range(5):  # neither: a link for longer, or a quote with weeks left
        plan = builders.presented_plan(quoted_days=2, title=f"Later {n}")
        builders.link_for(plan, staff=front_desk, expires_in_days=12)
    expected.sort()

    pages = [day.quotes_expiring(today=today, page=str(n)) for n in (1, 2, 3)]

    assert [row["id"] for page in pages for row in page] == [pk for *_, pk in expected]
    assert [page.has_next for page in pages] == [True, True, False]
