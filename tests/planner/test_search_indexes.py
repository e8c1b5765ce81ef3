"""The patients and plans searches stay cheap on a large database (issue 16): a search that
matches few rows is read through the search indexes, one that matches many by walking the
list in its order, and both ways list the same rows, page after page
(planner.selectors.patients_matching and plans_matching, migration 0016). Query plans are
checked on each engine's own terms."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from planner import selectors
from planner.forms.patients import PatientSearchForm
from planner.forms.plans import PlanListFilter
from planner.models import Patient, Plan, PlanStatus
from planner.views.patients import PATIENTS_PER_PAGE
from planner.views.plans import PLANS_PER_PAGE
from tests.factories.planner import PatientFactory, PlanFactory, make_plan

pytestmark = pytest.mark.django_db

# Session, user and permissions, the page; on SQLite one count per FTS table asked.
SEARCH_QUERY_BOUND = 6

sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="SQLite's FTS5 tables and query planner"
)
postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's pg_trgm indexes and planner"
)


@pytest.fixture(params=["by key", "walking"])
def way(request, monkeypatch):
    """Both ways a SQLite search reads its rows: by the ids its FTS5 tables give (few
    matches), and by walking the list when more than KEYED_MATCHES_MAX match. PostgreSQL's
    planner chooses for itself; either way the rows must be the same."""
    if request.param == "walking":
        monkeypatch.setattr(selectors, "KEYED_MATCHES_MAX", 0)
    return request.param


def patients_listed(client, q: str, page: int = 1) -> list[str]:
    response = client.get(reverse("patient-list"), {"q": q, "page": page})
    assert response.status_code == 200
    return [p["full_name"] for p in response.context["page"].object_list]


def plans_listed(client, page: int = 1, **filters) -> list[str]:
    response = client.get(reverse("plan-list"), {**filters, "page": page})
    assert response.status_code == 200
    return [plan.title for plan in response.context["page"].object_list]


@pytest.fixture
def people(db):
    alice = PatientFactory(full_name="Alice Anderson", phone="555-0199", email="al@example.com")
    bob = PatientFactory(full_name="Bob Brown", phone="555-0100")
    zoe = PatientFactory(full_name="Zoë Núñez")
    PatientFactory(full_name="Ab Adams")
    return alice, bob, zoe


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("anderson alice", ["Alice Anderson"]),
        ("5550199", ["Alice Anderson"]),
        ("555-0199", ["Alice Anderson"]),
        ("ALICE", ["Alice Anderson"]),
        ("zoe nunez", ["Zoë Núñez"]),
        ("NÚÑEZ", ["Zoë Núñez"]),
        ("ab", ["Ab Adams"]),  # shorter than a trigram: checked row by row
        ("adams ab", ["Ab Adams"]),
        ("55501", ["Alice Anderson", "Bob Brown"]),
        ("nobody", []),
    ],
)
def test_patient_search_finds_the_same_whichever_way_it_reads(
    desk_client, people, way, query, found
):
    assert patients_listed(desk_client, query) == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # By the patient, as the patient search finds them.
        ("anderson alice", ["Alice follow-up", "Glow plan", "Scar care"]),
        ("5550199", ["Alice follow-up", "Glow plan", "Scar care"]),
        ("nunez", ["Hair"]),
        # By the title.
        ("wedding", ["Before the WEDDING"]),
        ("GLOW", ["Glow plan"]),
        # Both: the title of Bob's plan, and Alice's plans; hers titled "Alice" once.
        ("alice", ["Alice follow-up", "Glow plan", "Referred by Alice", "Scar care"]),
        ("zz", []),
        ("nothing like it", []),
    ],
)
def test_plans_search_finds_the_same_whichever_way_it_reads(desk_client, people, way, query, found):
    alice, bob, zoe = people
    for title in ("Glow plan", "Scar care", "Alice follow-up"):
        make_plan(alice, title=title)
    make_plan(bob, title="Before the WEDDING")
    make_plan(bob, title="Referred by Alice")
    make_plan(zoe, title="Hair")

    assert sorted(plans_listed(desk_client, q=query)) == found


@pytest.mark.parametrize(
    "query", ['a"b"c', '"glow"', "glow*", "NEAR(glow", "-glow", "^glo", "gl%", "g_ow", "\\glow"]
)
def test_plans_search_takes_query_syntax_as_text(desk_client, people, way, query):
    """What the FTS5 query language or LIKE would read as operators is looked for as typed."""
    make_plan(people[0], title="Glow plan")
    make_plan(people[1], title=f"Plan {query}")

    assert plans_listed(desk_client, q=query) == [f"Plan {query}"]


def test_plans_search_pages_newest_first_without_loss_or_overlap(desk_client, people, way):
    """Each half of the search keeps as many of its newest plans as the page asked for
    needs: page 2 still comes out right when both halves match."""
    alice, bob, _ = people
    for number in range(40):
        if number % 3 == 0:
            make_plan(bob, title=f"Anderson referral {number:02}")  # by title
        elif number % 3 == 1:
            make_plan(alice, title=f"Plan {number:02}")  # by patient
        else:
            make_plan(bob, title=f"Plan {number:02}")  # neither
    newest_first = list(
        Plan.objects.exclude(patient=bob, title__startswith="Plan")
        .order_by("-updated_at", "-id")
        .values_list("title", flat=True)
    )
    assert len(newest_first) == 27

    first = plans_listed(desk_client, q="anderson")
    second = plans_listed(desk_client, q="anderson", page=2)

    assert first == newest_first[:PLANS_PER_PAGE]
    assert second == newest_first[PLANS_PER_PAGE:]


def test_plans_search_applies_the_other_filters_before_keeping_the_newest(desk_client, people, way):
    """Thirty newer drafts must not push the two presented plans out of what the search
    keeps."""
    alice, _, _ = people
    make_plan(alice, title="Shown once", status=PlanStatus.PRESENTED)
    make_plan(alice, title="Shown twice", status=PlanStatus.PRESENTED)
    for number in range(30):
        make_plan(alice, title=f"Draft {number:02}")

    found = plans_listed(desk_client, q="alice", status=PlanStatus.PRESENTED)

    assert found == ["Shown twice", "Shown once"]


def test_patient_search_pages_alphabetically_with_counts_for_each_row(desk_client, way):
    for number in range(30):
        patient = PatientFactory(full_name=f"Garcia {number:02}")
        PlanFactory.create_batch(number % 3, patient=patient)
    PatientFactory(full_name="Other Person")

    first = desk_client.get(reverse("patient-list"), {"q": "garcia"})
    second = desk_client.get(reverse("patient-list"), {"q": "garcia", "page": 2})

    rows = [*first.context["page"].object_list, *second.context["page"].object_list]
    assert len(first.context["page"].object_list) == PATIENTS_PER_PAGE
    assert [row["full_name"] for row in rows] == [f"Garcia {n:02}" for n in range(30)]
    assert [row["plan_count"] for row in rows] == [n % 3 for n in range(30)]


@pytest.mark.parametrize("path", ["patient-list", "plan-list"])
def test_search_query_count_does_not_grow_with_the_matches(
    desk_client, way, path, django_assert_max_num_queries, django_assert_num_queries
):
    make_plan(PatientFactory(full_name="Garcia One"), title="Garcia glow")
    desk_client.get(reverse(path), {"q": "garcia"})  # warm up caches
    with django_assert_max_num_queries(SEARCH_QUERY_BOUND) as with_one:
        assert desk_client.get(reverse(path), {"q": "garcia"}).status_code == 200
    for number in range(30):
        make_plan(PatientFactory(full_name=f"Garcia {number}"), title=f"Garcia plan {number}")
    with django_assert_num_queries(len(with_one)):
        assert desk_client.get(reverse(path), {"q": "garcia"}).status_code == 200


# --- SQLite: the FTS5 tables and the query plans -----------------------------------------


def search_querysets(q: str):
    """The patients search's and the plans search's queries for a first page, as built."""
    patients = PatientSearchForm({"q": q})
    plans = PlanListFilter({"q": q})
    assert plans.is_valid()
    rows = PLANS_PER_PAGE + 1
    return (
        patients.apply(Patient.objects.order_by("full_name", "id")).values("pk")[:rows],
        plans.apply(Plan.objects.all(), rows=rows).order_by("-updated_at", "-id")[:rows],
    )


@sqlite_only
def test_sqlite_reads_a_rare_search_by_key(people):
    """Regression: a plans search for one patient's name walked every plan newest first
    (240 ms at 100,000 plans); the patients search read every match before sorting."""
    patients, plans = (qs.explain() for qs in search_querysets("anderson alice"))

    assert "SCAN planner_patient_fts VIRTUAL TABLE" in patients
    assert "SEARCH planner_patient USING INTEGER PRIMARY KEY" in patients
    assert "SCAN planner_patient_fts VIRTUAL TABLE" in plans
    assert "SCAN planner_plan_title_fts VIRTUAL TABLE" in plans
    assert "USING COVERING INDEX plan_patient_recent_idx" in plans
    assert "SCAN planner_plan USING INDEX" not in plans


@sqlite_only
def test_sqlite_walks_the_list_for_a_common_search(people, monkeypatch):
    """A word most rows hold fills a page within a few rows of the list: reading all its
    matches by key first would cost the whole table."""
    monkeypatch.setattr(selectors, "KEYED_MATCHES_MAX", 0)
    patients, plans = (qs.explain() for qs in search_querysets("anderson alice"))

    assert "SCAN planner_patient USING INDEX patient_name_idx" in patients
    assert "planner_patient_fts" not in patients
    assert "USING INDEX plan_recent_idx" in plans  # the newest plans, each one's patient
    assert "planner_patient_fts" not in plans


@sqlite_only
def test_sqlite_keeps_the_plan_title_table_in_step_with_every_write(desk_client, people):
    """The FTS5 table of plan titles (migration 0016) follows inserts, renames and deletes
    through triggers; a later migration that rebuilds planner_plan would drop them, and this
    fails then."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'planner_plan'"
        )
        triggers = {name for (name,) in cursor.fetchall()}
    assert {
        "planner_plan_title_fts_insert",
        "planner_plan_title_fts_update",
        "planner_plan_title_fts_delete",
    } <= triggers

    plan = make_plan(people[1], title="Okafor consultation")
    assert plans_listed(desk_client, q="okafor") == ["Okafor consultation"]

    Plan.objects.filter(pk=plan.pk).update(title="Renamed for Reyes")
    assert plans_listed(desk_client, q="okafor") == []
    assert plans_listed(desk_client, q="reyes") == ["Renamed for Reyes"]

    plan.delete()
    assert plans_listed(desk_client, q="reyes") == []


# --- PostgreSQL: the pg_trgm indexes -------------------------------------------------------


@postgresql_only
@pytest.mark.parametrize("index", ["planner_patient_search_trgm", "planner_plan_title_trgm"])
def test_postgresql_search_indexes_have_no_pending_list(index):
    """Regression: after a bulk load the rows written since the last vacuum waited in the
    GIN index's pending list, which every search read in full; the planner then chose a
    sequential scan (4 to 6 ms at 20,000 patients instead of 0.1 ms)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef, reloptions FROM pg_indexes JOIN pg_class ON relname = indexname"
            " WHERE indexname = %s",
            [index],
        )
        definition, options = cursor.fetchone()
    assert "gin_trgm_ops" in definition
    assert options == ["fastupdate=off"]


@postgresql_only
@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Plan.objects.filter(title__icontains="wedding"), "planner_plan_title_trgm"),
        (
            lambda: Patient.objects.filter(search_text__contains="ander"),
            "planner_patient_search_trgm",
        ),
    ],
)
def test_postgresql_trigram_indexes_serve_the_searches_sql(people, queryset, index):
    """The indexes are built on the very expressions Django writes (UPPER(title::text) for
    icontains): the planner can use them whenever it finds them cheaper."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Only bitmap scans left, which a btree cannot give for LIKE '%…%'.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        assert index in queryset().explain()


@postgresql_only
def test_postgresql_plans_search_is_one_query_per_half():
    """Each half ordered and limited on its own, so that the planner chooses an index or a
    walk for each: an OR over both made it walk every plan for a patient's name."""
    _, plans = search_querysets("anderson alice")
    sql = str(plans.query)

    assert "UNION" in sql
    assert sql.count(f"LIMIT {PLANS_PER_PAGE + 1}") == 3  # each half, and the page


@postgresql_only
def test_postgresql_walks_a_common_name_in_the_alphabetical_index_alone():
    """A page of a common name is found by walking the patients alphabetically; the index
    carries the search text, so the walk reads no patient rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'patient_name_idx'")
        (definition,) = cursor.fetchone()
    assert "(full_name, id) INCLUDE (search_text, archived)" in definition
