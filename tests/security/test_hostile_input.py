"""Hostile and bad input: random and hostile values posted to every form and htmx endpoint.

For every request, whatever was sent:
- never a 500 (the test client re-raises what would be one; `send` reports it as a failure);
- a clear outcome: a redirect on success, otherwise the page again (200, or 400) with the
  message next to the field;
- nothing partial is stored: a refused write leaves every row as it was, and a saved plan
  holds exactly the courses that were posted;
- markup typed into a name, title or note comes back escaped, never as markup.

Each hypothesis example runs in a savepoint that is rolled back afterwards, so examples never
see each other's rows. The bugs these tests found have deterministic regression tests at the
end of this module.
"""

import io
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django import forms
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from pypdf import PdfReader

from clinic.catalog_seed import MICRONEEDLING
from clinic.models import ExosomeSource, IntervalUnit, PriceRange, PriceUnit
from planner import workflow
from planner.forms import plans as plan_forms
from planner.forms.editor import FIX_TO_RECALCULATE, PARTIAL_ESTIMATE
from planner.forms.patients import EARLIEST_DOB
from planner.models import Course, Indication, Patient, Plan, PlanStatus
from planner.patient_search import search_text, search_words
from planner.signing.selectors import missing_consents
from tests.factories.accounts import force_verified_login
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory, make_plan
from tests.helpers import sign_off_fields

pytestmark = pytest.mark.slow
HTMX = {"HX-Request": "true"}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKUP = (SCRIPT, IMG)
TODAY = timezone.localdate()
INT64_MAX = 2**63 - 1

# Unlike the engine's property tests (tests/conftest.py's profiles), every example here is a
# full request against the database, rolled back by hand inside one test function: fewer
# examples in every profile, no deadline, and the fixtures are function-scoped on purpose.
hostile_settings = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ------------------------------------------------------------------------------

# Anything a browser can send: every Unicode character except lone surrogates, which UTF-8
# cannot carry. NUL, RTL overrides and emoji are all in.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
# What staff can type into a text box: no control characters.
typed_text = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=30)

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "nul\x00in the middle",
    SCRIPT,
    IMG,
    "x" * 10_000,
    "\u202eexe.gnp",  # right-to-left override
    "שלום עולם",
    "مرحبا",
    "💉🧪✨👩🏽‍⚕️",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "0",
    "-1",
    "1.5",
    "1e9",
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "١٢",  # Arabic-Indic digits: int() reads them as 12
    "abc",
    "null",
    "[]",
    "9" * 20,
    "-" + "9" * 20,
    "9" * 5000,  # more digits than int() converts
    "0001-01-01",
    "9999-12-31",
    "1900-01-01",
    "2027-02-30",
    "0000-00-00",
    "99999-01-01",
    "-2027-01-01",
    "2027-13-01",
    "31/12/2027",
    "'; DROP TABLE planner_plan; --",
    "{{ request }}{% debug %}",
    "../../etc/passwd",
]
hostile = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    any_text,
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(date.isoformat),  # 0001-01-01 to 9999-12-31
)


def with_markup(text=typed_text):
    return st.builds(lambda a, m, b: f"{a}{m}{b}", text, st.sampled_from(MARKUP), text)


def int_or_none(value: str):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- helpers ---------------------------------------------------------------------------------


class _Undo(Exception):
    pass


@contextmanager
def rolled_back():
    """One example's writes, undone when it ends (a savepoint inside the test transaction)."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def send(client, method: str, url: str, data=None, **extra):
    """A request that must not fail on the server, nor echo markup unescaped."""
    try:
        response = getattr(client, method)(url, data, **extra)
    except Exception as error:  # the test client re-raises what a browser would see as a 500
        raise AssertionError(f"500 from {method.upper()} {url}: {error!r}") from error
    assert response.status_code < 500, (method, url, response.status_code)
    if response.get("Content-Type", "").startswith("text/html"):
        body = response.content.decode()
        for markup in MARKUP:
            assert markup not in body, f"unescaped {markup!r} in {method.upper()} {url}"
    return response


def html(response) -> str:
    return response.content.decode()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Patient, Plan, Course, PriceRange)}


ERROR_CLASS = re.compile(r'class="(?:[^"]* )?(?:field-error|form-errors)(?: [^"]*)?"')


def shows_an_error(response) -> bool:
    """A field's error or a form's error box, whatever other classes the element has."""
    return ERROR_CLASS.search(html(response)) is not None


def plan_state(plan: Plan) -> tuple:
    plan = Plan.objects.get(pk=plan.pk)
    courses = [
        tuple(v for k, v in model_to_dict(c).items() if k != "id")
        for c in plan.courses.order_by("position", "id")
    ]
    return (plan.title, plan.notes, plan.ready_by, plan.indications, plan.version, courses)


def calendar_name(calendar: Calendar) -> str:
    """X-WR-CALNAME as text: icalendar reads an X- property raw, so undo RFC 5545 TEXT
    escaping (backslash before \\ ; , and n) here."""
    raw = calendar["X-WR-CALNAME"].to_ical().decode()
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def one_line(text: str) -> str:
    return " ".join(text.split())


def assert_calendar_structure(content: bytes, *, events: int) -> Calendar:
    """Every line ends in CRLF (no bare CR or LF a client could split on), and the events
    are exactly the sessions: nothing typed into a field added a component."""
    assert b"\r" not in content.replace(b"\r\n", b"")
    assert b"\n" not in content.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(content)
    assert len(calendar.walk("VEVENT")) == events
    assert len(re.findall(rb"^BEGIN:VEVENT\r$", content, re.MULTILINE)) == events
    return calendar


def posted_messages(response) -> list:
    return list(get_messages(response.wsgi_request))


# --- patients --------------------------------------------------------------------------------

patient_posts = st.fixed_dictionaries(
    {
        "full_name": st.one_of(typed_text.filter(str.strip), with_markup(), hostile),
        "date_of_birth": st.one_of(
            st.just(""), st.dates(EARLIEST_DOB, TODAY).map(date.isoformat), hostile
        ),
        "phone": st.one_of(st.just(""), st.from_regex(r"\+?[0-9 ]{5,20}", fullmatch=True), hostile),
        "email": st.one_of(st.just(""), st.emails(), hostile),
        "notes": st.one_of(typed_text, with_markup(), hostile),
    },
    optional={"archived": st.one_of(st.just("on"), hostile)},
)


def assert_patient_holds(patient: Patient, data: dict) -> None:
    """A saved patient holds what was posted (stripped, as forms do), and only sane values."""
    assert patient.full_name == data["full_name"].strip() != ""
    assert patient.phone == data["phone"].strip()
    assert patient.email == data["email"].strip()
    assert patient.notes == data["notes"].strip()
    for value in (patient.full_name, patient.phone, patient.email, patient.notes):
        assert "\x00" not in value
    if data["date_of_birth"].strip():
        assert EARLIEST_DOB <= patient.date_of_birth <= TODAY
    else:
        assert patient.date_of_birth is None


def assert_patient_pages_escape(client, patient: Patient) -> None:
    for url in (
        reverse("patient-detail", args=[patient.pk]),
        reverse("patient-edit", args=[patient.pk]),
        f"{reverse('patient-list')}?archived=1",
    ):
        response = send(client, "get", url)
        assert response.status_code == 200
        assert escape(patient.full_name) in html(response)


@hostile_settings
@given(data=patient_posts)
def test_patient_create_with_hostile_input(desk_client, data):
    with rolled_back():
        before = row_counts()

        response = send(desk_client, "post", reverse("patient-create"), data)

        if response.status_code == 302:
            patient = Patient.objects.latest("id")
            assert response["Location"] == patient.get_absolute_url()
            assert row_counts() == {**before, "Patient": before["Patient"] + 1}
            assert_patient_holds(patient, data)
            assert not patient.archived  # a new patient is never archived
            assert_patient_pages_escape(desk_client, patient)
        else:
            assert response.status_code == 200
            assert row_counts() == before
            assert "Nothing was saved." in html(response)
            assert 'class="field-error"' in html(response)


@hostile_settings
@given(data=patient_posts)
def test_patient_edit_with_hostile_input(desk_client, patient, data):
    with rolled_back():
        before, saved = row_counts(), model_to_dict(Patient.objects.get(pk=patient.pk))

        # The page's version comes with every edit (a stale one is refused: tests elsewhere).
        data = {**data, "version": patient.version}
        response = send(desk_client, "post", reverse("patient-edit", args=[patient.pk]), data)

        assert row_counts() == before
        edited = Patient.objects.get(pk=patient.pk)
        if response.status_code == 302:
            assert response["Location"] == patient.get_absolute_url()
            assert_patient_holds(edited, data)
            assert_patient_pages_escape(desk_client, edited)
        else:
            assert response.status_code == 200
            assert model_to_dict(edited) == saved
            assert "Nothing was saved." in html(response)
            # The heading keeps the saved name, never the refused one.
            assert f"Edit {escape(patient.full_name)}" in html(response)


@pytest.fixture
def marked_up_rows(db):
    """Patients and plans with markup in their names and titles, for the list pages."""
    eve = PatientFactory(full_name=f"Eve {IMG}")
    PatientFactory(full_name=f"Mallory {SCRIPT}", archived=True)
    PlanFactory(patient=eve, title=f"Plan {SCRIPT}", ready_by=TODAY + timedelta(days=40))
    PlanFactory(patient=eve, title="Presented plan", status=PlanStatus.PRESENTED)


@hostile_settings
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "q": st.one_of(with_markup(), hostile),
            "archived": hostile,
            "page": st.one_of(st.integers().map(str), hostile),
        },
    )
)
def test_patient_list_with_hostile_search_and_page(desk_client, marked_up_rows, params):
    response = send(desk_client, "get", reverse("patient-list"), params)

    assert response.status_code == 200
    search = response.context["search"]
    listed = list(response.context["page"].object_list)
    if not search.is_valid():
        assert listed == []  # an invalid search matches nothing rather than everything
        assert 'class="field-error"' in html(response)
    else:
        # Every word of the search (planner/patient_search) is in the patient's details.
        words = search_words(search.cleaned_data["q"])
        for patient in listed:
            assert escape(patient["full_name"]) in html(response)
            text = search_text(
                full_name=patient["full_name"], phone=patient["phone"], email=patient["email"]
            )
            assert all(word in text for word in words)
            assert search.cleaned_data["archived"] or not patient["archived"]


# --- the plan editor -------------------------------------------------------------------------

COURSE_FIELDS = list(plan_forms.CourseForm.base_fields)
ACTIONS = [
    "save",
    "recalculate",
    "add_course",
    "remove_course:0",
    "remove_course:1",
    "remove_course:-1",
    "remove_course:abc",
    "remove_course:" + "9" * 30,
    "remove_course:",
    "",
    "delete",
]


CHOICE_VALUES = [*ExosomeSource.values, *IntervalUnit.values, *PlanStatus.values]
# How hostile one editor post is: "none" posts only what the page itself could send (markup
# and any script in the text fields included), so it must save; "some" spoils a few fields;
# "all" spoils anything.
HOSTILITY = ("none", "some", "all")


@st.composite
def course_rows(draw, treatments, hostility):
    """A course as the editor posts it: valid to start with, then fields spoilt by hostility."""
    treatment = draw(st.sampled_from(list(treatments.values())))
    intervals = st.tuples(st.integers(1, 365).map(str), st.sampled_from(IntervalUnit.values))
    if treatment.interval_count is not None:
        intervals = st.one_of(st.just(("", "")), intervals)  # blank: the catalog's interval
    interval = draw(intervals)
    row = {
        "treatment": str(treatment.pk),
        "sessions": str(draw(st.integers(1, 12))),
        "interval_count": interval[0],
        "interval_unit": interval[1],
        "first_session": draw(
            st.dates(TODAY - timedelta(days=729), TODAY + timedelta(days=1825))
        ).isoformat(),
        "exosome_source": draw(st.sampled_from([treatment.exosome_source, ""])),
    }
    spoilt = {"none": st.just(set()), "some": st.sets(st.sampled_from(COURSE_FIELDS), max_size=3)}
    for name in draw(spoilt.get(hostility, st.sets(st.sampled_from(COURSE_FIELDS)))):
        # Hostile text, or a real choice in the wrong place (platelet exosomes injected).
        row[name] = draw(st.one_of(hostile, st.sampled_from(CHOICE_VALUES)))
    return row


def valid_or(hostility: str, valid, spoilt=hostile):
    return valid if hostility == "none" else st.one_of(valid, spoilt)


@st.composite
def editor_posts(draw, treatments):
    """(posted data, the course rows in it, how hostile it is)."""
    hostility = draw(st.sampled_from(HOSTILITY))
    rows = draw(
        st.lists(
            course_rows(treatments, hostility),
            min_size=1 if hostility == "none" else 0,
            max_size=plan_forms.MAX_COURSES + (hostility != "none"),
        )
    )
    total = draw(
        valid_or(
            hostility,
            st.just(str(len(rows))),
            st.one_of(
                st.integers(-3, len(rows)).map(str),
                st.sampled_from(["", " ", "abc", "-1", "-99999", "1.5", "NaN", "\x00", "9" * 5000]),
            ),
        )
    )
    text = st.one_of(typed_text, with_markup())
    data = {
        "courses-TOTAL_FORMS": total,
        "courses-INITIAL_FORMS": draw(
            valid_or(hostility, st.just("0"), st.sampled_from(["", "abc", "-5", "1", "99999"]))
        ),
        "title": draw(valid_or(hostility, text.filter(str.strip))),
        "notes": draw(valid_or(hostility, text)),
        "ready_by": draw(
            valid_or(
                hostility,
                st.one_of(
                    st.just(""),
                    st.dates(TODAY - timedelta(days=364), TODAY + timedelta(days=3652)).map(
                        date.isoformat
                    ),
                ),
            )
        ),
        "indications": draw(
            st.lists(valid_or(hostility, st.sampled_from(Indication.values)), max_size=3)
        ),
    }
    action = draw(
        valid_or(
            hostility,
            st.sampled_from(ACTIONS[:5]),
            st.one_of(st.none(), hostile, st.sampled_from(ACTIONS[5:])),  # none: not sent
        )
    )
    if action is not None:
        data["action"] = action
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"courses-{index}-{name}"] = value
    return data, rows, hostility


def expected_courses(data: dict, rows: list[dict], treatments) -> list[tuple]:
    """The courses a successful save must hold: exactly the rows counted by TOTAL_FORMS, read
    the way the posted text reads (Django's own field parsing), blank intervals filled in
    from the catalog and a treatment's fixed exosome source filled in."""
    count = forms.IntegerField().clean(data["courses-TOTAL_FORMS"])
    courses = []
    for position, row in enumerate(rows[:count]):
        treatment = treatments[int(row["treatment"])]
        interval_count = forms.IntegerField(required=False).clean(row["interval_count"])
        interval = (interval_count, row["interval_unit"])
        if interval == (None, ""):
            interval = (treatment.interval_count, treatment.interval_unit)
        courses.append(
            (
                position,
                treatment.pk,
                forms.IntegerField().clean(row["sessions"]),
                *interval,
                forms.DateField().clean(row["first_session"]),
                row["exosome_source"] or treatment.exosome_source,
            )
        )
    return courses


def saved_courses(plan: Plan) -> list[tuple]:
    return list(
        plan.courses.order_by("position").values_list(
            "position",
            "treatment_id",
            "sessions",
            "interval_count",
            "interval_unit",
            "first_session",
            "exosome_source",
        )
    )


def assert_saved_as_posted(plan: Plan, data: dict, rows: list[dict], treatments) -> None:
    assert plan.status == PlanStatus.DRAFT
    assert plan.title == data["title"].strip()
    assert plan.notes == data["notes"].strip()
    assert plan.ready_by == forms.DateField(required=False).clean(data["ready_by"])
    assert plan.indications == data["indications"]
    assert saved_courses(plan) == expected_courses(data, rows, treatments)


def assert_editor_outcome(
    client, response, *, data, rows, hostility, treatments, before, plan=None
):
    """`before`: the row counts, and the edited plan's state under "plan"."""
    action = data.get("action", "recalculate")
    event(f"{hostility}: {action if action in ACTIONS else 'other'} → {response.status_code}")
    if hostility == "none" and action == "save":
        assert response.status_code == 302, "what the page itself sends must save"
    if response.status_code == 302:
        assert action == "save", "only a save leaves the editor"
        saved = plan or Plan.objects.latest("id")
        assert response["Location"] == saved.get_absolute_url()
        saved = Plan.objects.get(pk=saved.pk)
        assert_saved_as_posted(saved, data, rows, treatments)
        if plan is None:
            assert row_counts()["Plan"] == before["Plan"] + 1
        else:
            assert saved.version == plan.version + 1
        # Whatever was accepted, every page that shows the plan still works.
        for name in ("plan-detail", "plan-edit", "plan-summary", "plan-calendar"):
            assert send(client, "get", reverse(name, args=[saved.pk])).status_code == 200
        return

    assert response.status_code == 200
    # Nothing stored: no row added or removed anywhere, the edited plan exactly as it was.
    assert {**row_counts(), "plan": plan and plan_state(plan)} == before
    context = response.context
    plan_form, formset = context["plan_form"], context["formset"]
    input_errors = formset.has_course_errors() or "ready_by" in plan_form.errors
    body = html(response)
    if response.templates[0].name == "planner/_plan_results.html":
        # The htmx fragment: on bad input it keeps the last figures and says why.
        if input_errors:
            assert response["HX-Reswap"] == "none"
            assert escape(FIX_TO_RECALCULATE) in body
            assert 'class="field-error"' in body
        return
    if response.templates[0].name == "planner/_editor_courses.html":
        # Add/Remove answer with the course rows alone: a course's error shows in its row;
        # the plan fields (ready-by) keep the error they had, outside the fragment.
        if formset.has_course_errors():
            assert 'class="field-error"' in body
        return
    if input_errors:
        assert escape(PARTIAL_ESTIMATE) in body
        assert 'class="field-error"' in body
    if action == "save":
        assert shows_an_error(response), "a refused save must say why"


@hostile_settings
@given(data=st.data(), htmx=st.booleans())
def test_plan_create_with_hostile_input(desk_client, catalog, patient, data, htmx):
    treatments = {t.pk: t for t in catalog.values()}
    posted, rows, hostility = data.draw(editor_posts(treatments))
    url = f"{reverse('plan-create')}?patient={patient.pk}"
    with rolled_back():
        before = {**row_counts(), "plan": None}

        response = send(desk_client, "post", url, posted, headers=HTMX if htmx else None)

        assert_editor_outcome(
            desk_client,
            response,
            data=posted,
            rows=rows,
            hostility=hostility,
            treatments=treatments,
            before=before,
        )


@hostile_settings
@given(data=st.data(), htmx=st.booleans())
def test_plan_edit_with_hostile_input(desk_client, catalog, draft_plan, data, htmx):
    treatments = {t.pk: t for t in catalog.values()}
    posted, rows, hostility = data.draw(editor_posts(treatments))
    version = posted["version"] = data.draw(valid_or(hostility, st.just("1")), label="version")
    url = reverse("plan-edit", args=[draft_plan.pk])
    with rolled_back():
        before = {**row_counts(), "plan": plan_state(draft_plan)}

        response = send(desk_client, "post", url, posted, headers=HTMX if htmx else None)

        if response.status_code == 302:
            # Saving is only ever based on the version the form was opened with.
            assert int_or_none(version) == draft_plan.version
        assert_editor_outcome(
            desk_client,
            response,
            data=posted,
            rows=rows,
            hostility=hostility,
            treatments=treatments,
            before=before,
            plan=draft_plan,
        )


@hostile_settings
@given(
    status=st.sampled_from([s for s in PlanStatus.values if s != PlanStatus.DRAFT]),
    htmx=st.booleans(),
    data=st.data(),
)
def test_plan_edit_of_a_plan_past_draft_changes_nothing(
    desk_client, catalog, draft_plan, status, htmx, data
):
    posted, _, _ = data.draw(editor_posts({t.pk: t for t in catalog.values()}))
    posted["version"] = "1"
    with rolled_back():
        Plan.objects.filter(pk=draft_plan.pk).update(status=status)
        before = (row_counts(), plan_state(draft_plan))

        response = send(
            desk_client,
            "post",
            reverse("plan-edit", args=[draft_plan.pk]),
            posted,
            headers=HTMX if htmx else None,
        )

        assert response.status_code == 302
        assert response["Location"] == draft_plan.get_absolute_url()
        assert (row_counts(), plan_state(draft_plan)) == before
        assert Plan.objects.get(pk=draft_plan.pk).status == status


@hostile_settings
@given(patient_param=st.one_of(hostile, st.integers().map(str)))
def test_plan_create_with_a_hostile_patient(desk_client, catalog, patient_param):
    with rolled_back():
        before = row_counts()
        for method in ("get", "post"):
            response = send(desk_client, method, reverse("plan-create"), {"patient": patient_param})
            # Either the chosen patient's editor, or a clear "not found"/"choose a patient first".
            assert response.status_code in (200, 302, 404)
            if response.status_code == 302:
                assert response["Location"] == reverse("patient-list")
        assert row_counts() == before


# --- plan workflow: status, investigational record, duplicate ---------------------------------


@hostile_settings
@given(
    start=st.sampled_from(PlanStatus.values),
    to=st.one_of(st.sampled_from(PlanStatus.values), hostile),
    version=st.one_of(st.just("1"), st.just("2"), hostile),
)
# Staff may not accept a plan whose consents the patient has not signed (the signing round):
# the one allowed move that is still refused.
@example(start=PlanStatus.PRESENTED, to=PlanStatus.ACCEPTED, version="1")
def test_plan_transition_with_hostile_input(desk_client, draft_plan, start, to, version):
    url = reverse("plan-transition", args=[draft_plan.pk])
    with rolled_back():
        Plan.objects.filter(pk=draft_plan.pk).update(status=start, version=1)
        desk_client.cookies.pop("messages", None)  # only this example's message counts
        before = row_counts()

        response = send(desk_client, "post", url, {"to": to, "version": version})

        assert response.status_code == 302
        assert response["Location"] == draft_plan.get_absolute_url()
        assert row_counts() == before
        plan = Plan.objects.get(pk=draft_plan.pk)
        allowed = (
            to in PlanStatus.values
            and workflow.can_transition(start, to)
            and not (to == PlanStatus.ACCEPTED and missing_consents(plan=draft_plan))
        )
        [message] = posted_messages(response)
        if allowed and int_or_none(version) == 1:
            assert (plan.status, plan.version) == (to, 2)
            assert plan.is_frozen == (to in workflow.FROZEN_STATUSES)
            assert message.level == messages.SUCCESS
        else:
            assert (plan.status, plan.version, plan.quote) == (start, 1, None)
            assert message.level == messages.ERROR


@hostile_settings
@given(
    reference=st.one_of(typed_text, with_markup(), hostile),
    acknowledged=st.one_of(st.none(), st.just("on"), hostile),
)
def test_plan_investigational_with_hostile_input(
    clinician_client, investigational_plan, reference, acknowledged
):
    url = reverse("plan-investigational", args=[investigational_plan.pk])
    data = {"reference": reference, **sign_off_fields(investigational_plan)}
    if acknowledged is not None:
        data["patient_acknowledged"] = acknowledged
    with rolled_back():
        before = row_counts()

        response = send(clinician_client, "post", url, data)

        assert row_counts() == before
        plan = Plan.objects.get(pk=investigational_plan.pk)
        if response.status_code == 302:
            assert response["Location"] == plan.get_absolute_url()
            assert plan.investigational_reference == reference.strip() != ""
            assert len(plan.investigational_reference) <= 120
            assert "\x00" not in plan.investigational_reference
            assert not plan.patient_acknowledged_investigational  # the patient's to sign
            assert plan.version == investigational_plan.version + 1
            detail = send(clinician_client, "get", plan.get_absolute_url())
            assert escape(plan.investigational_reference) in html(detail)
        else:
            assert response.status_code == 400
            assert 'class="field-error"' in html(response)
            assert plan.investigational_reference == ""
            assert not plan.patient_acknowledged_investigational
            assert plan.version == investigational_plan.version


@hostile_settings
@given(
    title=st.one_of(typed_text.filter(str.strip), with_markup()),
    junk=st.dictionaries(
        st.one_of(st.sampled_from(["title", "patient", "version"]), any_text), hostile, max_size=4
    ),
)
def test_plan_duplicate_ignores_posted_junk(desk_client, draft_plan, title, junk):
    with rolled_back():
        Plan.objects.filter(pk=draft_plan.pk).update(title=title)
        before = row_counts()

        response = send(desk_client, "post", reverse("plan-duplicate", args=[draft_plan.pk]), junk)

        copy = Plan.objects.latest("id")
        assert response.status_code == 302
        assert response["Location"] == reverse("plan-edit", args=[copy.pk])
        assert row_counts() == {
            **before,
            "Plan": before["Plan"] + 1,
            "Course": before["Course"] + 1,
        }
        assert copy.patient_id == draft_plan.patient_id
        assert copy.title == f"{title} (option B)"[:200]
        assert [c[1:] for c in saved_courses(copy)] == [c[1:] for c in saved_courses(draft_plan)]
        for url in (
            reverse("plan-edit", args=[copy.pk]),
            reverse("plan-compare", args=[draft_plan.pk, copy.pk]),
        ):
            assert escape(title) in html(send(desk_client, "get", url))


# --- list filters ----------------------------------------------------------------------------

month_values = st.one_of(
    st.tuples(st.integers(-3000, 3000), st.integers(-20, 20)).map(
        lambda ym: f"{ym[0]}-{ym[1]:02d}"
    ),
    st.dates().map(lambda d: d.strftime("%Y-%m")),
    st.sampled_from(["2147483648-01", "2027-99999999999", "9" * 20 + "-01"]),
    hostile,
)


@hostile_settings
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "q": st.one_of(with_markup(), hostile),
            "status": st.one_of(st.sampled_from(PlanStatus.values), hostile),
            "ready_by_month": month_values,
            "patient": st.one_of(
                st.integers(-INT64_MAX, INT64_MAX).map(str),
                st.just("99999999999999999999"),
                hostile,
            ),
            "page": st.one_of(st.integers().map(str), hostile),
        },
    )
)
def test_plan_list_with_hostile_filters(desk_client, marked_up_rows, params):
    response = send(desk_client, "get", reverse("plan-list"), params)

    assert response.status_code == 200
    filters = response.context["filters"]
    body = html(response)
    for error in filters.errors.get("ready_by_month", []):
        assert escape(error) in body
    for plan in response.context["page"].object_list:
        assert escape(plan.title) in body
        assert escape(plan.patient.full_name) in body
        # Every filter that validated still applies.
        if filters.cleaned_data.get("status"):
            assert plan.status == filters.cleaned_data["status"]
        if filters.cleaned_data.get("ready_by_month"):
            month = filters.cleaned_data["ready_by_month"]
            assert (plan.ready_by.year, plan.ready_by.month) == (month.year, month.month)
        if filters.cleaned_data.get("patient"):
            assert plan.patient_id == filters.cleaned_data["patient"]


# --- the catalog admin: price ranges ----------------------------------------------------------

money = st.decimals(min_value=0, max_value=99_999_999, places=2).map(str)


@hostile_settings
@given(data=st.data())
def test_price_range_admin_add_with_hostile_input(client, clinic_admin, catalog, data):
    treatment_pks = [t.pk for t in catalog.values()]
    posted = data.draw(
        st.fixed_dictionaries(
            {
                "treatment": st.one_of(st.sampled_from(treatment_pks).map(str), hostile),
                "unit": st.one_of(st.sampled_from(PriceUnit.values), hostile),
                "series_size": st.one_of(st.just(""), st.integers(-2, 40).map(str), hostile),
                "minimum": st.one_of(money, st.decimals().map(str), hostile),
                "maximum": st.one_of(money, st.decimals().map(str), hostile),
                "currency": st.one_of(st.just(django_settings.CURRENCY), hostile),
                "effective_from": st.one_of(
                    st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat),
                    hostile,
                ),
                "source": st.one_of(st.just("clinic"), hostile),
                "notes": st.one_of(st.just(""), with_markup(), hostile),
                "_save": st.just("Save"),
            }
        )
    )
    force_verified_login(client, clinic_admin)
    with rolled_back():
        before = row_counts()

        response = send(client, "post", reverse("admin:clinic_pricerange_add"), posted)

        if response.status_code == 302:
            assert row_counts() == {**before, "PriceRange": before["PriceRange"] + 1}
            price = PriceRange.objects.latest("id")
            price.full_clean()  # every model rule holds for what the admin stored
            assert price.minimum >= 0 and price.minimum <= price.maximum
            assert (price.unit == PriceUnit.SERIES) == (price.series_size is not None)
            assert len(price.currency) == 3 and price.currency.isalpha()
            # The pages that show or use prices still work with it.
            for url in (reverse("admin:clinic_pricerange_changelist"), reverse("catalog")):
                assert send(client, "get", url).status_code == 200
            patient = PatientFactory()
            recalc = send(
                client,
                "post",
                f"{reverse('plan-create')}?patient={patient.pk}",
                {
                    "courses-TOTAL_FORMS": "1",
                    "courses-INITIAL_FORMS": "0",
                    "courses-0-treatment": str(price.treatment_id),
                    "courses-0-sessions": "12",
                    "courses-0-interval_count": "2",
                    "courses-0-interval_unit": "weeks",
                    "courses-0-first_session": (TODAY + timedelta(days=7)).isoformat(),
                },
                headers=HTMX,
            )
            assert recalc.status_code == 200
        else:
            assert response.status_code == 200
            assert row_counts() == before
            assert 'class="errornote"' in html(response)


# --- markup is escaped everywhere it is shown -------------------------------------------------


def assert_escaped_on(client, url: str, *values: str, params=None) -> str:
    response = send(client, "get", url, params)
    assert response.status_code == 200, url
    body = html(response)
    # Widgets rendered through Jinja2 (clinic.form_rendering) escape a quote as &#34; or
    # &#39; where Django writes &quot; or &#x27;: the same to a browser.
    as_django = body.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
    for value in values:
        assert escape(value) in as_django, (url, value)
    return body


@hostile_settings
@given(name=with_markup(), title=with_markup(), notes=with_markup())
def test_markup_in_names_titles_and_notes_is_escaped_everywhere(
    desk_client, catalog, name, title, notes
):
    with rolled_back():
        response = send(
            desk_client, "post", reverse("patient-create"), {"full_name": name, "notes": notes}
        )
        assert response.status_code == 302
        patient = Patient.objects.latest("id")
        course = {
            "courses-TOTAL_FORMS": "1",
            "courses-INITIAL_FORMS": "0",
            "courses-0-treatment": str(catalog[MICRONEEDLING].pk),
            "courses-0-sessions": "3",
            "courses-0-first_session": (TODAY + timedelta(days=14)).isoformat(),
        }
        response = send(
            desk_client,
            "post",
            f"{reverse('plan-create')}?patient={patient.pk}",
            {**course, "title": title, "notes": notes, "action": "save"},
        )
        assert response.status_code == 302
        plan = Plan.objects.latest("id")
        send(desk_client, "post", reverse("plan-duplicate", args=[plan.pk]))
        copy = Plan.objects.latest("id")
        name, title, notes = patient.full_name, plan.title, plan.notes  # as stored (stripped)

        assert_escaped_on(desk_client, reverse("patient-list"), name)
        assert_escaped_on(desk_client, reverse("patient-list"), name, params={"q": name})
        assert_escaped_on(desk_client, patient.get_absolute_url(), name, notes, title)
        assert_escaped_on(desk_client, reverse("patient-edit", args=[patient.pk]), name, notes)
        assert_escaped_on(desk_client, reverse("plan-list"), name, title)
        assert_escaped_on(desk_client, reverse("plan-list"), title, params={"q": title})
        assert_escaped_on(desk_client, plan.get_absolute_url(), name, title, notes)
        assert_escaped_on(desk_client, reverse("plan-edit", args=[plan.pk]), name, title, notes)
        assert_escaped_on(
            desk_client, reverse("plan-compare", args=[plan.pk, copy.pk]), name, title
        )
        assert_escaped_on(desk_client, reverse("plan-summary", args=[plan.pk]), name, title)

        ics = send(desk_client, "get", reverse("plan-calendar", args=[plan.pk]))
        calendar = assert_calendar_structure(ics.content, events=3)
        # RFC 5545 text escaping round-trips the title, markup and all.
        assert calendar_name(calendar) == one_line(f"{title} – {django_settings.CLINIC_NAME}")


# --- summary PDF and calendar: markup and line breaks are text, never structure ---------------

CRLF_TITLE = f"Glow {SCRIPT}\r\nBEGIN:VEVENT\r\nSUMMARY:injected;x=1,y\r\nEND:VEVENT"


@pytest.fixture
def marked_up_plan(catalog):
    patient = PatientFactory(full_name=f"Eve {IMG}\r\nX-Injected: yes")
    return make_plan(patient, catalog[MICRONEEDLING], title=CRLF_TITLE, notes=SCRIPT)


def test_calendar_keeps_a_hostile_title_as_text(desk_client, marked_up_plan):
    response = send(desk_client, "get", reverse("plan-calendar", args=[marked_up_plan.pk]))

    assert response.status_code == 200
    assert "\r\n" not in response["Content-Disposition"]
    calendar = assert_calendar_structure(response.content, events=3)
    assert calendar_name(calendar) == one_line(f"{CRLF_TITLE} – {django_settings.CLINIC_NAME}")
    assert not re.search(rb"^SUMMARY:injected", response.content, re.MULTILINE)


def test_summary_of_the_largest_plan_with_unusual_text(desk_client, catalog):
    """12 courses of 12 sessions, far apart, 10,000-character notes, RTL and emoji names:
    the summary, its PDF and its calendar are all produced."""
    patient = PatientFactory(full_name="\u202eأحمد 👩🏽‍⚕️ " + "Ŵ" * 150)
    plan = PlanFactory(patient=patient, title="💉" * 200, notes="x" * 10_000)
    for position in range(plan_forms.MAX_COURSES):
        CourseFactory(
            plan=plan,
            position=position,
            treatment=catalog[MICRONEEDLING],
            sessions=12,
            interval_count=365,
            interval_unit=IntervalUnit.DAYS,
            first_session=TODAY + timedelta(days=150 * position),
        )

    responses = {
        name: send(desk_client, "get", reverse(name, args=[plan.pk]))
        for name in ("plan-summary", "plan-calendar", "plan-summary-pdf")
    }

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 200)
    assert_calendar_structure(responses["plan-calendar"].content, events=144)


def test_summary_pdf_shows_markup_as_text(desk_client, marked_up_plan):
    response = send(desk_client, "get", reverse("plan-summary-pdf", args=[marked_up_plan.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "\r\n" not in response["Content-Disposition"]
    assert b"/JavaScript" not in response.content
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(response.content)).pages
    )
    # Escaped markup prints as the characters typed; parsed markup would leave no trace.
    assert SCRIPT in text
    assert " ".join(IMG.split()) in text


# --- regressions: bugs these tests found -----------------------------------------------------


def _one_course(treatment) -> dict:
    return {
        "courses-0-treatment": str(treatment.pk),
        "courses-0-sessions": "3",
        "courses-0-interval_count": "",
        "courses-0-interval_unit": "",
        "courses-0-first_session": (TODAY + timedelta(days=14)).isoformat(),
        "courses-0-exosome_source": "",
    }


BLANK_SECOND_ROW = {f"courses-1-{name}": "" for name in COURSE_FIELDS}


@pytest.mark.parametrize(
    ("total", "extra", "action", "htmx"),
    [
        ("2", {}, "recalculate", True),  # htmx recalculation
        ("2", {}, "recalculate", False),
        ("2", BLANK_SECOND_ROW, "save", False),  # a second course with every field cleared
        ("99999", {}, "add_course", False),
        ("13", {}, "save", False),
    ],
)
def test_editor_counting_more_course_rows_than_filled_in_is_not_a_500(
    desk_client, catalog, patient, total, extra, action, htmx
):
    data = {
        "courses-TOTAL_FORMS": total,
        "courses-INITIAL_FORMS": "0",
        "title": "Glow",
        "action": action,
        **_one_course(catalog[MICRONEEDLING]),
        **extra,
    }
    before = row_counts()

    response = send(
        desk_client,
        "post",
        f"{reverse('plan-create')}?patient={patient.pk}",
        data,
        headers=HTMX if htmx else None,
    )

    assert response.status_code == 200
    assert row_counts() == before
    assert 'class="field-error"' in html(response)


def test_plan_list_with_a_patient_id_beyond_64_bits_is_not_a_500(desk_client):
    response = send(desk_client, "get", reverse("plan-list"), {"patient": "9" * 20})

    assert response.status_code == 200


@pytest.mark.parametrize("month", ["2147483648-01", "2027-99999999999", "9" * 20 + "-01"])
def test_plan_list_with_a_huge_month_is_not_a_500(desk_client, month):
    response = send(desk_client, "get", reverse("plan-list"), {"ready_by_month": month})

    assert response.status_code == 200
    assert "Enter a month such as 2027-06." in html(response)


@pytest.mark.parametrize(
    "params",
    [{"q": "x" * 101}, {"q": "a\x00b"}, {"status": "bogus"}],
    ids=["long", "nul", "status"],
)
def test_plan_list_reports_an_invalid_search_or_status(desk_client, params):
    response = send(desk_client, "get", reverse("plan-list"), params)

    assert response.status_code == 200
    assert 'class="field-error"' in html(response)


def test_price_range_dated_year_9999_does_not_break_the_admin(client, clinic_admin, catalog):
    force_verified_login(client, clinic_admin)
    posted = {
        "treatment": str(catalog[MICRONEEDLING].pk),
        "unit": PriceUnit.SESSION,
        "series_size": "",
        "minimum": "10",
        "maximum": "20",
        "currency": django_settings.CURRENCY,
        "effective_from": "9999-12-31",
        "source": "clinic",
        "_save": "Save",
    }
    response = send(client, "post", reverse("admin:clinic_pricerange_add"), posted)
    changelist = reverse("admin:clinic_pricerange_changelist")
    year_links = re.findall(
        r'href="(\?effective_from__year=\d+)"', html(send(client, "get", changelist))
    )

    for link in year_links:
        send(client, "get", changelist + link)
    assert response.status_code == 200  # refused as implausible, like a ready-by date


@pytest.mark.parametrize("version", ["", "x", "0"])
def test_a_save_without_a_usable_version_is_refused_and_says_why(
    desk_client, catalog, draft_plan, version
):
    """Regression (found by test_plan_edit_with_hostile_input with an emptied version): the
    page did say why ("Someone else changed this plan…", in the error summary), but
    shows_an_error looked for class="form-errors" as the whole attribute and missed the
    summary's class="form-errors error-summary"."""
    treatment = catalog[MICRONEEDLING]
    before = plan_state(draft_plan)
    posted = {
        "courses-TOTAL_FORMS": "1",
        "courses-INITIAL_FORMS": "0",
        "title": "Typed",
        "notes": "",
        "ready_by": "",
        "action": "save",
        "version": version,
        "courses-0-treatment": str(treatment.pk),
        "courses-0-sessions": "1",
        "courses-0-interval_count": "1",
        "courses-0-interval_unit": "days",
        "courses-0-first_session": "2024-11-30",
        "courses-0-exosome_source": "",
    }

    response = send(desk_client, "post", reverse("plan-edit", args=[draft_plan.pk]), posted)

    assert response.status_code == 200
    assert shows_an_error(response), "a refused save must say why"
    assert plan_state(draft_plan) == before
