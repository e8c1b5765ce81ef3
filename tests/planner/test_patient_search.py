"""Patients found, not duplicated: the folded search keys (pure), the patient list's search,
and the duplicate check when adding a patient."""

from datetime import date

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from planner import actions
from planner.models import Patient
from planner.patient_search import fold, name_key, search_text, search_words
from tests.factories.planner import PatientFactory

CREATE_QUERY_BOUND = 8


def test_fold_drops_accents_case_and_punctuation():
    assert fold("Zoë  O’Brien-NÚÑEZ") == "zoe o brien nunez"


def test_name_key_ignores_word_order_and_commas():
    assert name_key("Alice Anderson") == name_key("ANDERSON, alice") == "alice anderson"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("5550199", ["5550199"]),
        ("555-0199", ["5550199"]),
        ("(555) 0199", ["5550199"]),
        ("anderson alice", ["anderson", "alice"]),
        ("Zoë", ["zoe"]),
        ("", []),
    ],
)
def test_search_words(query, words):
    assert search_words(query) == words


@given(
    name=st.text(min_size=1, max_size=40),
    phone=st.text(alphabet="0123456789 -()+", max_size=20),
    email=st.emails(),
)
def test_every_word_of_a_patients_own_details_finds_them(name, phone, email):
    text = search_text(full_name=name, phone=phone, email=email)
    queries = [name, email, phone]
    if not fold(name).replace(" ", "").isdigit():
        # Words in any order; digit groups typed as a number ('555 0199') stay in their order.
        queries.append(" ".join(reversed(name.split())))
    for query in queries:
        assert all(word in text for word in search_words(query))


def listed(client, q: str) -> list[str]:
    response = client.get(reverse("patient-list"), {"q": q})
    return [p["full_name"] for p in response.context["page"].object_list]


@pytest.mark.parametrize(
    "query", ["5550199", "555-0199", "anderson alice", "ALICE", "andérson", "alice@example"]
)
def test_list_search_finds_alice(desk_client, front_desk, query):
    actions.patient_save(
        patient=None,
        changes={
            "full_name": "Alice Anderson",
            "phone": "555-0199",
            "email": "Alice@Example.com",
        },
        user=front_desk,
    )
    PatientFactory(full_name="Bob Brown")

    assert listed(desk_client, query) == ["Alice Anderson"]


def test_list_search_ignores_accents_in_the_record(desk_client):
    PatientFactory(full_name="Zoë Núñez")

    assert listed(desk_client, "zoe nunez") == ["Zoë Núñez"]


def test_patient_save_keeps_the_keys_current(front_desk):
    patient = actions.patient_save(
        patient=None, changes={"full_name": "Ann Lee", "phone": "1"}, user=front_desk
    )
    actions.patient_save(
        patient=patient,
        changes={"full_name": "Ann Lee-Park", "phone": "+1 202 555 0142"},
        user=front_desk,
        expected_version=patient.version,
    )
    patient.refresh_from_db()
    assert patient.name_key == "ann lee park"
    assert patient.phone_key == "2025550142"  # the last ten digits
    assert "12025550142" in patient.search_text


# --- the duplicate check ------------------------------------------------------------------


def create(client, **fields):
    data = {"full_name": "", "date_of_birth": "", "phone": "", "email": "", "notes": ""}
    return client.post(reverse("patient-create"), {**data, **fields})


@pytest.fixture
def beatrice(db):
    return PatientFactory(
        full_name="Beatrice Brown",
        date_of_birth=date(1979, 9, 30),
        phone="+1 617 555 0142",
        email="bea@example.com",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"full_name": "beatrice  BROWN", "date_of_birth": "1979-09-30"},
        {"full_name": "Brown, Béatrice", "date_of_birth": "1979-09-30"},
        {"full_name": "B. Brown", "phone": "(617) 555-0142"},
        {"full_name": "Bea", "email": "BEA@example.com"},
    ],
)
def test_a_likely_duplicate_is_shown_and_nothing_is_saved(desk_client, beatrice, fields):
    response = create(desk_client, **fields)

    assert response.status_code == 200
    html = response.content.decode()
    assert "This may be a patient you already have" in html
    assert beatrice.get_absolute_url() in html
    assert "add a new patient anyway" in html
    assert Patient.objects.count() == 1


def test_creating_anyway_needs_the_box_ticked(desk_client, beatrice):
    fields = {"full_name": "Beatrice Brown", "date_of_birth": "1979-09-30"}
    create(desk_client, **fields)
    unticked = create(desk_client, create_anyway_offered="1", **fields)
    assert "This may be a patient you already have" in unticked.content.decode()
    assert Patient.objects.count() == 1

    response = create(desk_client, create_anyway_offered="1", create_anyway="on", **fields)

    assert response.status_code == 302
    assert Patient.objects.filter(full_name="Beatrice Brown").count() == 2


def test_same_name_other_birthday_is_not_a_duplicate(desk_client, beatrice):
    response = create(desk_client, full_name="Beatrice Brown", date_of_birth="1980-01-01")

    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_editing_a_patient_never_asks(desk_client, beatrice):
    other = PatientFactory(full_name="Someone Else")
    response = desk_client.post(
        reverse("patient-edit", args=[other.pk]),
        {
            "full_name": "Someone Else",
            "date_of_birth": "",
            "phone": beatrice.phone,
            "email": "",
            "notes": "",
            "version": other.version,
        },
    )
    assert response.status_code == 302


def test_duplicate_check_costs_a_bounded_number_of_queries(
    desk_client, beatrice, django_assert_max_num_queries
):
    PatientFactory.create_batch(20, full_name="Beatrice Brown", date_of_birth=date(1979, 9, 30))
    with django_assert_max_num_queries(CREATE_QUERY_BOUND):
        create(desk_client, full_name="Beatrice Brown", date_of_birth="1979-09-30")


def test_postgresql_has_a_trigram_index_on_the_search_text(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's; SQLite has its FTS5 table")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'planner_patient_search_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "gin_trgm_ops" in definition


def test_sqlite_keeps_its_trigram_table_in_step_with_every_write(db, front_desk, desk_client):
    """The FTS5 table (migration 0012) follows inserts, edits, merges and deletes through
    triggers; a later migration that rebuilds planner_patient would drop them, and this
    fails then."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 table; PostgreSQL searches through its pg_trgm index")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'planner_patient'"
        )
        triggers = {name for (name,) in cursor.fetchall()}
    assert {
        "planner_patient_fts_insert",
        "planner_patient_fts_update",
        "planner_patient_fts_delete",
    } <= triggers

    patient = actions.patient_save(
        patient=None, changes={"full_name": "Carmen Okafor", "phone": "555-0177"}, user=front_desk
    )
    assert listed(desk_client, "okafor") == ["Carmen Okafor"]
    assert listed(desk_client, "5550177") == ["Carmen Okafor"]

    actions.patient_save(
        patient=patient,
        changes={"full_name": "Carmen Okafor-Reyes", "phone": "555-0177"},
        user=front_desk,
        expected_version=patient.version,
    )
    assert listed(desk_client, "reyes") == ["Carmen Okafor-Reyes"]
    assert listed(desk_client, "reyes carmen okafor") == ["Carmen Okafor-Reyes"]

    Patient.objects.filter(pk=patient.pk).delete()
    assert listed(desk_client, "okafor") == []


@pytest.mark.parametrize("query", ["ab", "b a", "ab 555"])
def test_short_words_are_still_found(desk_client, query):
    """Words under three characters are below the trigram index: matched by scanning."""
    PatientFactory(full_name="Ab Adams", phone="555-0100")
    PatientFactory(full_name="Zed Zulu", phone="555-0101")

    assert listed(desk_client, query) == ["Ab Adams"]
