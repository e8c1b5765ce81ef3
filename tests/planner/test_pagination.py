"""Previous/next pagination that never counts the whole table."""

import pytest

from planner.models import Patient
from planner.pagination import rows_read, window_page
from tests.factories.planner import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(db):
    PatientFactory.create_batch(7)
    return Patient.objects.order_by("pk")


def test_pages_split_the_rows_without_loss_or_overlap(patients):
    pages = [window_page(patients, str(n), 3) for n in (1, 2, 3)]
    seen = [p.pk for page in pages for p in page]
    assert seen == list(patients.values_list("pk", flat=True))
    assert [page.has_next for page in pages] == [True, True, False]
    assert [page.has_previous for page in pages] == [False, True, True]


@pytest.mark.parametrize("junk", [None, "", "abc", "-1", "0", "1.5", "9" * 30])
def test_unreadable_or_past_the_end_page_shows_the_first(patients, junk):
    page = window_page(patients, junk, 3)
    assert page.number == 1
    assert len(page) == 3


def test_one_query_and_no_count(patients, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        window_page(patients, "2", 3)
    assert "COUNT(" not in queries[0]["sql"].upper()


def test_read_turns_the_pages_keys_into_rows_in_one_query(patients, django_assert_num_queries):
    """`read` gets the page's slice of keys; the rows it reads keep the list's order, and a
    page past the end still falls back to the first."""
    keys = patients.values("pk")

    def read(window):
        return Patient.objects.filter(pk__in=window).order_by("pk").values("pk", "full_name")

    with django_assert_num_queries(1):
        second = window_page(keys, "2", 3, read=read)
    assert [row["pk"] for row in second] == list(keys.values_list("pk", flat=True)[3:6])
    assert second.has_next
    assert [row["pk"] for row in window_page(keys, "99", 3, read=read)] == list(
        keys.values_list("pk", flat=True)[:3]
    )


@pytest.mark.parametrize(("page", "rows"), [(None, 26), ("1", 26), ("3", 76), ("junk", 26)])
def test_rows_read_is_what_window_page_reads_from_the_top(page, rows):
    assert rows_read(page, 25) == rows
