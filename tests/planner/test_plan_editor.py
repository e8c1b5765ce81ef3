"""The plan editor (plan-create and plan-edit): live recalculation, course rows, saving."""

from datetime import timedelta

import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.catalog_seed import INJECTABLE, LASER, MICRONEEDLING
from clinic.models import TreatmentType
from planner import actions
from planner.forms import plans as plan_forms
from planner.forms.editor import FIX_TO_RECALCULATE, PARTIAL_ESTIMATE
from planner.models import Course, Plan, PlanStatus
from planner.scheduling import Interval, nth_session_date
from tests.factories.planner import make_plan

HTMX = {"HX-Request": "true"}
# What the editor costs today, whatever the number of courses (session, user and roles included).
RECALCULATION_QUERY_BOUND = 5
EDIT_PAGE_QUERY_BOUND = 5


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def course(treatment, *, sessions=3, first_session=None, interval_count="", interval_unit=""):
    return {
        "treatment": str(treatment.pk),
        "sessions": str(sessions),
        "interval_count": str(interval_count),
        "interval_unit": interval_unit,
        "first_session": first_session or in_days(14),
        "exosome_source": "",
    }


def editor_data(*courses, title="Glow before the wedding", ready_by="", action=None, **extra):
    data = {
        "courses-TOTAL_FORMS": str(len(courses)),
        "courses-INITIAL_FORMS": "0",
        "title": title,
        "ready_by": ready_by,
        "notes": "",
        **extra,
    }
    for index, row in enumerate(courses):
        for name, value in row.items():
            data[f"courses-{index}-{name}"] = value
    if action:
        data["action"] = action
    return data


def create_url(patient) -> str:
    return f"{reverse('plan-create')}?patient={patient.pk}"


def element(response, element_id: str) -> str:
    """The start of the element with this id, up to its first closing div."""
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</div>", start)]


def error_slot(response, name: str) -> str:
    """The contents of the error slot that sits next to field `name`."""
    return element(response, f"err-{name}")


def total_figure(response) -> str:
    """The plan's total as the estimate panel shows it."""
    html = response.content.decode()
    start = html.index('id="plan-total"')
    return html[html.index(">", start) + 1 : html.index("</strong>", start)]


def counts() -> tuple[int, int]:
    return Plan.objects.count(), Course.objects.count()


# --- the page --------------------------------------------------------------------------------


def test_new_plan_page_shows_a_default_course_and_its_estimate(desk_client, catalog, patient):
    response = desk_client.get(create_url(patient))

    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.total_form_count() == 1
    default = formset.forms[0]
    assert default.is_valid(), default.errors
    assert default.cleaned_data["treatment"] == catalog[MICRONEEDLING]
    # Microneedling's typical series is 3 sessions: one documented series-of-3 price.
    assert default.cleaned_data["sessions"] == 3
    assert total_figure(response) == "USD 2,000–4,000"
    assert f'name="patient" value="{patient.pk}"' in response.content.decode()


# --- live recalculation (htmx) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "total"),
    [(1, "USD 600–1,500"), (3, "USD 2,000–4,000"), (4, "USD 2,600–5,500")],
)
def test_recalculation_prices_microneedling(desk_client, catalog, patient, sessions, total):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=sessions))

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "planner/_plan_results.html"
    assert "HX-Reswap" not in response
    html = response.content.decode()
    assert total_figure(response) == total
    assert "<form" not in html  # a fragment, not the page


def test_recalculation_of_unpriced_laser_says_price_not_set(desk_client, catalog, patient):
    laser = course(catalog[LASER], sessions=3, interval_count=6, interval_unit="weeks")

    response = desk_client.post(create_url(patient), editor_data(laser), headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Price not set" in html
    assert "incomplete" in html
    assert "USD 0" not in html


def test_recalculation_writes_nothing(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING], title="Saved plan")
    before = counts(), Plan.objects.get().version
    changed = editor_data(
        course(catalog[MICRONEEDLING], sessions=4),
        course(catalog[MICRONEEDLING], sessions=1),
        title="Something else",
        version=str(plan.version),
    )

    desk_client.post(create_url(patient), editor_data(course(catalog[MICRONEEDLING])), headers=HTMX)
    desk_client.post(reverse("plan-edit", args=[plan.pk]), changed, headers=HTMX)
    desk_client.post(reverse("plan-edit", args=[plan.pk]), {**changed, "action": "recalculate"})

    assert (counts(), Plan.objects.get().version) == before
    assert Plan.objects.get().title == "Saved plan"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("courses-0-sessions", "0", plan_forms.SESSIONS_OUT_OF_RANGE),
        ("courses-0-sessions", "40", plan_forms.SESSIONS_OUT_OF_RANGE),
        ("courses-0-sessions", "abc", plan_forms.NOT_A_NUMBER),
        ("courses-0-first_session", "1900-01-01", plan_forms.FIRST_SESSION_TOO_EARLY),
        ("courses-0-first_session", "not a date", plan_forms.NOT_A_DATE),
        ("ready_by", "1900-01-01", plan_forms.READY_BY_OUT_OF_RANGE),
        ("ready_by", "1900", plan_forms.NOT_A_DATE),
    ],
)
def test_recalculation_with_bad_input_shows_the_message_and_keeps_the_figures(
    desk_client, catalog, patient, field, value, message
):
    data = {**editor_data(course(catalog[MICRONEEDLING])), field: value}

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert escape(message) in error_slot(response, field)
    assert 'hx-swap-oob="true"' in error_slot(response, field)
    assert counts() == (0, 0)


def recalc_status(response) -> str:
    html = response.content.decode()
    start = html.index('id="recalc-status"')
    return html[html.index(">", start) + 1 : html.index("</p>", start)]


def test_recalculation_with_bad_input_says_why_the_figures_did_not_change(
    desk_client, catalog, patient
):
    bad = editor_data(course(catalog[MICRONEEDLING], sessions=0))
    good = editor_data(course(catalog[MICRONEEDLING], sessions=1))

    after_bad = desk_client.post(create_url(patient), bad, headers=HTMX)
    after_good = desk_client.post(create_url(patient), good, headers=HTMX)

    assert recalc_status(after_bad) == escape(FIX_TO_RECALCULATE)
    assert recalc_status(after_good) == ""


@pytest.mark.parametrize(
    ("slug", "overrides", "slot", "message"),
    [
        (
            LASER,
            {},
            "courses-0-interval_count",
            plan_forms.NO_DEFAULT_INTERVAL.format(treatment="Fractional laser + topical exosome"),
        ),
        (
            MICRONEEDLING,
            {"interval_count": "2"},
            "courses-0-interval_unit",
            plan_forms.INTERVAL_NEEDS_UNIT,
        ),
        (
            MICRONEEDLING,
            {"interval_count": "400", "interval_unit": "days"},
            "courses-0-interval_count",
            plan_forms.INTERVAL_OUT_OF_RANGE,
        ),
        (
            INJECTABLE,
            {"interval_count": "4", "interval_unit": "weeks", "exosome_source": "plant"},
            "courses-0-exosome_source",
            plan_forms.SOURCE_FIXED.format(
                treatment="Injectable MSC exosome (investigational)",
                source="Mesenchymal stem cell (MSC)",
            ),
        ),
        (MICRONEEDLING, {"treatment": ""}, "courses-0-treatment", plan_forms.CHOOSE_TREATMENT),
    ],
    ids=[
        "no-default-interval",
        "count-without-unit",
        "interval-too-long",
        "fixed-source",
        "no-treatment",
    ],
)
def test_recalculation_with_an_inconsistent_course(
    desk_client, catalog, patient, slug, overrides, slot, message
):
    data = editor_data({**course(catalog[slug]), **overrides})

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response["HX-Reswap"] == "none"
    assert escape(message) in error_slot(response, slot)


def test_recalculation_with_a_treatment_no_longer_offered(desk_client, catalog, patient):
    TreatmentType.objects.filter(slug=LASER).update(active=False)
    data = editor_data(course(catalog[LASER], interval_count=6, interval_unit="weeks"))

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response["HX-Reswap"] == "none"
    assert escape(plan_forms.CHOOSE_TREATMENT) in error_slot(response, "courses-0-treatment")


@pytest.mark.parametrize(
    ("number_of_courses", "message"),
    [(0, plan_forms.NEED_A_COURSE), (13, plan_forms.TOO_MANY_COURSES)],
)
def test_recalculation_with_too_few_or_too_many_courses(
    desk_client, catalog, patient, number_of_courses, message
):
    courses = [course(catalog[MICRONEEDLING], sessions=1)] * number_of_courses

    response = desk_client.post(create_url(patient), editor_data(*courses), headers=HTMX)

    assert response["HX-Reswap"] == "none"
    assert escape(message) in element(response, "formset-errors")


def test_recalculation_first_session_too_far_ahead(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING], first_session=in_days(6 * 366)))

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert response["HX-Reswap"] == "none"
    assert escape(plan_forms.FIRST_SESSION_TOO_LATE) in error_slot(
        response, "courses-0-first_session"
    )


def test_recalculation_after_fixing_the_input_clears_the_message(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=4))

    response = desk_client.post(create_url(patient), data, headers=HTMX)

    assert "HX-Reswap" not in response
    # The out-of-band slot is sent empty, so the old message disappears.
    assert '<p class="field-error">' not in error_slot(response, "courses-0-sessions")


def test_plain_recalculate_returns_the_page_with_the_message_by_the_field(
    desk_client, catalog, patient
):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=40), action="recalculate")

    response = desk_client.post(create_url(patient), data)

    assert response.status_code == 200
    assert "planner/plan_edit.html" in [t.name for t in response.templates]
    slot = error_slot(response, "courses-0-sessions")
    assert escape(plan_forms.SESSIONS_OUT_OF_RANGE) in slot
    assert "hx-swap-oob" not in slot
    assert recalc_status(response) == escape(PARTIAL_ESTIMATE)
    # The field keeps what was typed, so it can be corrected.
    assert 'name="courses-0-sessions" value="40"' in response.content.decode()
    assert counts() == (0, 0)


# --- adding and removing courses -------------------------------------------------------------


def test_add_course_appends_a_valid_prefilled_course(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=3), action="add_course")

    response = desk_client.post(create_url(patient), data)

    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.total_form_count() == 2
    assert formset.is_valid(), formset.errors
    first, added = (form.cleaned_data for form in formset.forms)
    assert added["treatment"] == catalog[MICRONEEDLING]
    assert added["sessions"] == 3
    # It starts one interval after the first course's last session (monthly, 3 sessions).
    assert added["first_session"] == nth_session_date(
        first["first_session"], Interval(1, "months"), 3
    )
    # Both courses are priced: two series of three.
    assert total_figure(response) == "USD 4,000–8,000"
    assert counts() == (0, 0)


def test_remove_course_removes_the_one_asked_for(desk_client, catalog, patient):
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=1),
        course(catalog[MICRONEEDLING], sessions=4),
        action="remove_course:1",
    )

    response = desk_client.post(create_url(patient), data)

    formset = response.context["formset"]
    assert formset.total_form_count() == 1
    assert formset.forms[0].cleaned_data["sessions"] == 1
    assert total_figure(response) == "USD 600–1,500"


def test_remove_course_zero_removes_the_first_course(desk_client, catalog, patient):
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=1),
        course(catalog[MICRONEEDLING], sessions=4),
        action="remove_course:0",
    )

    response = desk_client.post(create_url(patient), data)

    formset = response.context["formset"]
    assert formset.total_form_count() == 1
    assert formset.forms[0].cleaned_data["sessions"] == 4
    assert total_figure(response) == "USD 2,600–5,500"


# --- saving ----------------------------------------------------------------------------------


def test_save_creates_the_plan_and_its_courses(desk_client, front_desk, catalog, patient):
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=3),
        course(catalog[LASER], sessions=2, interval_count=6, interval_unit="weeks"),
        title="Wedding in June",
        ready_by=in_days(300),
        indications=["skin_quality", "scars"],
        patient=str(patient.pk),
        action="save",
    )

    response = desk_client.post(create_url(patient), data)

    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("plan-detail", args=[plan.pk])
    assert (plan.patient, plan.title, plan.status) == (patient, "Wedding in June", "draft")
    assert plan.indications == ["skin_quality", "scars"]
    assert plan.created_by == front_desk
    assert plan.version == 1
    assert [(c.position, c.treatment.slug, c.sessions) for c in plan.courses.all()] == [
        (0, MICRONEEDLING, 3),
        (1, LASER, 2),
    ]
    # A blank interval takes the catalog's default.
    first = plan.courses.get(position=0)
    assert (first.interval_count, first.interval_unit) == (1, "months")


def test_save_without_a_title_shows_the_error_and_saves_nothing(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING]), title="", action="save")

    response = desk_client.post(create_url(patient), data)

    assert response.status_code == 200
    assert escape(str(forms.Field.default_error_messages["required"])) in error_slot(
        response, "title"
    )
    assert counts() == (0, 0)


def test_save_with_a_course_error_saves_nothing(desk_client, catalog, patient):
    data = editor_data(course(catalog[MICRONEEDLING], sessions=0), action="save")

    response = desk_client.post(create_url(patient), data)

    assert response.status_code == 200
    assert escape(plan_forms.SESSIONS_OUT_OF_RANGE) in error_slot(response, "courses-0-sessions")
    assert counts() == (0, 0)


def test_save_of_an_edit_replaces_the_courses_and_bumps_the_version(
    clinician_client, clinician, catalog, patient
):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[MICRONEEDLING])
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=4),
        title="Renamed",
        version=str(plan.version),
        action="save",
    )

    response = clinician_client.post(reverse("plan-edit", args=[plan.pk]), data)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.version, plan.updated_by) == ("Renamed", 2, clinician)
    assert [c.sessions for c in plan.courses.all()] == [4]


def test_save_of_a_stale_edit_is_refused_and_keeps_the_input(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[MICRONEEDLING])
    edit_url = reverse("plan-edit", args=[plan.pk])
    page = desk_client.get(edit_url)
    assert page.context["version"] == 1
    # A colleague saves the same plan in between.
    Plan.objects.filter(pk=plan.pk).update(version=F("version") + 1, title="Colleague's title")
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=1),
        title="My new title",
        version="1",
        action="save",
    )

    response = desk_client.post(edit_url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert escape(actions.STALE_EDIT) in html
    assert 'name="title" value="My new title"' in html
    assert 'name="courses-0-sessions" value="1"' in html
    plan.refresh_from_db()
    assert (plan.title, plan.version) == ("Colleague's title", 2)
    assert [c.sessions for c in plan.courses.all()] == [3, 3]


def test_saving_again_after_a_stale_refusal_keeps_the_users_input(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING])
    edit_url = reverse("plan-edit", args=[plan.pk])
    Plan.objects.filter(pk=plan.pk).update(version=F("version") + 1, title="Colleague's title")
    mine = editor_data(course(catalog[MICRONEEDLING], sessions=1), title="My new title")
    refused = desk_client.post(edit_url, {**mine, "version": "1", "action": "save"})
    assert escape(actions.STALE_EDIT) in refused.content.decode()

    # Having compared, staff save the form exactly as it came back.
    response = desk_client.post(
        edit_url, {**mine, "version": str(refused.context["version"]), "action": "save"}
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.version) == ("My new title", 3)


def test_save_failing_midway_leaves_the_saved_plan_intact(
    desk_client, catalog, patient, monkeypatch
):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[MICRONEEDLING], title="Before")
    saves = []
    original_save = Course.save

    def save_failing_on_second_course(self, *args, **kwargs):
        saves.append(self)
        if len(saves) == 2:
            raise RuntimeError("database went away")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Course, "save", save_failing_on_second_course)
    data = editor_data(
        course(catalog[MICRONEEDLING], sessions=1),
        course(catalog[MICRONEEDLING], sessions=2),
        title="After",
        version=str(plan.version),
        action="save",
    )

    with pytest.raises(RuntimeError, match="database went away"):
        desk_client.post(reverse("plan-edit", args=[plan.pk]), data)

    assert len(saves) == 2
    plan.refresh_from_db()
    assert (plan.title, plan.version) == ("Before", 1)
    assert [(c.position, c.sessions) for c in plan.courses.all()] == [(0, 3), (1, 3)]
    assert Course.objects.count() == 2


@pytest.mark.parametrize("method", ["get", "post"])
def test_editing_a_presented_plan_redirects_to_its_page_with_a_warning(
    desk_client, catalog, patient, method
):
    plan = make_plan(
        patient, catalog[MICRONEEDLING], title="Saved plan", status=PlanStatus.PRESENTED
    )
    data = editor_data(course(catalog[MICRONEEDLING], sessions=1), title="Sneaky", action="save")

    response = getattr(desk_client, method)(
        reverse("plan-edit", args=[plan.pk]), data if method == "post" else None
    )

    assert response.status_code == 302
    assert response.url == reverse("plan-detail", args=[plan.pk])
    warnings = [m for m in get_messages(response.wsgi_request) if m.level == messages.WARNING]
    assert len(warnings) == 1
    assert "presented" in warnings[0].message
    plan.refresh_from_db()
    assert (plan.title, plan.version) == ("Saved plan", 1)
    assert [c.sessions for c in plan.courses.all()] == [3]


# --- query counts ----------------------------------------------------------------------------


def test_recalculation_queries_do_not_grow_with_the_number_of_courses(
    desk_client, catalog, patient, django_assert_max_num_queries, django_assert_num_queries
):
    one = editor_data(course(catalog[MICRONEEDLING]))
    ten = editor_data(*[course(catalog[MICRONEEDLING], sessions=1) for _ in range(10)])
    url = create_url(patient)
    desk_client.post(url, one, headers=HTMX)  # warm up caches

    with django_assert_max_num_queries(RECALCULATION_QUERY_BOUND) as with_one:
        assert desk_client.post(url, one, headers=HTMX).status_code == 200
    with django_assert_num_queries(len(with_one)):
        assert desk_client.post(url, ten, headers=HTMX).status_code == 200


@pytest.mark.parametrize("action", ["", "add_course", "remove_course:0", "refresh:0"])
def test_a_saved_plans_fragments_read_the_plan_and_its_courses_once(
    desk_client, catalog, patient, action, django_assert_num_queries
):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[LASER], title="Saved")
    url = reverse("plan-edit", args=[plan.pk])
    data = editor_data(course(catalog[MICRONEEDLING]), course(catalog[LASER]), version=plan.version)
    if action:
        data["action"] = action
    desk_client.post(url, data, headers=HTMX)  # warm up caches

    # Session, user, permissions, the plan's editable fields (with the catalog's token) and
    # its courses: a fragment touches no other column of the plan, and reads no patient.
    with django_assert_num_queries(5):
        assert desk_client.post(url, data, headers=HTMX).status_code == 200


def test_edit_page_queries_do_not_grow_with_the_number_of_courses(
    desk_client, catalog, patient, django_assert_max_num_queries, django_assert_num_queries
):
    small = make_plan(patient, catalog[MICRONEEDLING], title="Small")
    large = make_plan(patient, *[catalog[MICRONEEDLING]] * 10, sessions=1, title="Large")
    small_url = reverse("plan-edit", args=[small.pk])
    desk_client.get(small_url)  # warm up caches

    with django_assert_max_num_queries(EDIT_PAGE_QUERY_BOUND) as with_one:
        assert desk_client.get(small_url).status_code == 200
    with django_assert_num_queries(len(with_one)):
        assert desk_client.get(reverse("plan-edit", args=[large.pk])).status_code == 200


@pytest.mark.parametrize(
    "row",
    [
        {},
        {"treatment": ""},
        {"sessions": "2"},
        {"first_session": "2027-03-01"},
        {"treatment": "1", "sessions": "3"},
        {"exosome_source": "", "product": "", "lot": ""},
    ],
)
def test_a_course_row_has_changed_as_django_says(catalog, row):
    data = {f"courses-0-{name}": value for name, value in row.items()}
    treatments = {t.pk: t for t in catalog.values()}
    form = plan_forms.CourseForm(data, prefix="courses-0", treatments=treatments)

    # Stopping at the first changed field gives Django's answer (any field changed).
    assert form.has_changed() is bool(form.changed_data)


def test_failed_save_summary_names_the_interval_as_the_page_labels_it(
    desk_client, patient, catalog
):
    """The summary's link names the field by the label staff see ("Interval between
    sessions"), not by a word that appears nowhere on the page."""
    response = desk_client.post(
        create_url(patient), editor_data(course(catalog[LASER]), action="save")
    )

    html = response.content.decode()
    message = escape(
        plan_forms.NO_DEFAULT_INTERVAL.format(treatment="Fractional laser + topical exosome")
    )
    assert f"Course 1: Interval between sessions: {message}</a>" in html
    assert "Course 1: Every:" not in html
