"""Who may open which plan page, the plan list's filters and pagination, and escaping."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from planner.models import Plan, PlanStatus
from planner.views.plans import PLANS_PER_PAGE
from tests.factories.accounts import force_verified_login
from tests.factories.planner import CourseFactory, PatientFactory, make_plan

UNKNOWN = 999_999
# What each page costs today, whatever the number of plans or courses (session, user and
# roles included).
LIST_QUERY_BOUND = 4
# Session, user, permissions, the plan (with its last editor, and whether it has signing
# links), its kept reading (planner.plan_page), the names it shows besides the viewer's and
# the last editor's, the patient's other plans; a plan with signing links reads them too
# (planner.signing.selectors).
DETAIL_QUERY_BOUND = 7
COMPARE_QUERY_BOUND = 9


# --- access ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str  # the one the page answers
    wrong_method: str
    takes_plan: bool = True
    data: tuple = ()
    # What a role holder gets when the page lets them in.
    ok_status: int = 200


CANCEL = (("to", "cancelled"), ("version", "1"))
ENDPOINTS = [
    Endpoint("plan-list", "get", "post", takes_plan=False),
    Endpoint("plan-create", "get", "delete", takes_plan=False),
    Endpoint("plan-detail", "get", "post"),
    Endpoint("plan-edit", "get", "delete"),
    Endpoint("plan-transition", "post", "get", data=CANCEL, ok_status=302),
    # Posted empty on purpose: 400 (the form's errors) proves the clinician got past the
    # permission check without recording anything.
    Endpoint("plan-investigational", "post", "get", ok_status=400),
    # No product in these plans: the clinician is let in and told there is nothing to do.
    Endpoint("plan-due-diligence", "post", "get", ok_status=302),
    Endpoint("plan-duplicate", "post", "get", ok_status=302),
    Endpoint("plan-compare", "get", "post"),
]
ENDPOINT_IDS = [e.name for e in ENDPOINTS]


@pytest.fixture
def plans(catalog, patient):
    """A draft plan with an investigational course, and a second plan to compare it with."""
    return make_plan(patient, catalog[INJECTABLE]), make_plan(patient, catalog[MICRONEEDLING])


def url_for(endpoint: Endpoint, plans, *, unknown=False) -> str:
    plan, other = plans
    pk = UNKNOWN if unknown else plan.pk
    if endpoint.name == "plan-create":
        return f"{reverse('plan-create')}?patient={UNKNOWN if unknown else plan.patient_id}"
    if endpoint.name == "plan-compare":
        return reverse(endpoint.name, args=[pk, other.pk])
    if endpoint.takes_plan:
        return reverse(endpoint.name, args=[pk])
    return reverse(endpoint.name)


def call(client, endpoint: Endpoint, url: str, method: str | None = None):
    return getattr(client, method or endpoint.method)(url, dict(endpoint.data))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_anonymous_is_sent_to_login(client, plans, endpoint):
    url = url_for(endpoint, plans)

    response = call(client, endpoint, url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")
    assert Plan.objects.count() == 2


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_user_without_a_role_is_forbidden(client, no_role_user, plans, endpoint):
    client.force_login(no_role_user)

    response = call(client, endpoint, url_for(endpoint, plans))

    assert response.status_code == 403
    assert Plan.objects.count() == 2
    assert Plan.objects.get(pk=plans[0].pk).status == PlanStatus.DRAFT


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("role", ["front_desk", "clinician", "clinic_admin"])
def test_staff_with_a_role_get_the_page(client, request, plans, endpoint, role):
    force_verified_login(client, request.getfixturevalue(role))

    response = call(client, endpoint, url_for(endpoint, plans))

    # Only a clinician may record an IND/trial reference or accept due-diligence gaps.
    if endpoint.name in ("plan-investigational", "plan-due-diligence") and role != "clinician":
        assert response.status_code == 403
    else:
        assert response.status_code == endpoint.ok_status


@pytest.mark.parametrize("endpoint", ENDPOINTS[1:], ids=ENDPOINT_IDS[1:])
def test_unknown_plan_or_patient_is_not_found(clinician_client, plans, endpoint):
    response = call(clinician_client, endpoint, url_for(endpoint, plans, unknown=True))

    assert response.status_code == 404


def test_compare_with_an_unknown_second_plan_is_not_found(desk_client, plans):
    response = desk_client.get(reverse("plan-compare", args=[plans[0].pk, UNKNOWN]))

    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_wrong_http_method_is_not_allowed(clinician_client, plans, endpoint):
    response = call(clinician_client, endpoint, url_for(endpoint, plans), endpoint.wrong_method)

    assert response.status_code == 405
    assert Plan.objects.count() == 2


def test_new_plan_without_a_patient_sends_staff_to_choose_one(desk_client):
    response = desk_client.get(reverse("plan-create"))

    assert response.status_code == 302
    assert response.url == reverse("patient-list")


def test_new_plan_without_a_patient_is_still_forbidden_without_a_role(client, no_role_user):
    client.force_login(no_role_user)

    assert client.get(reverse("plan-create")).status_code == 403


# --- the plan list ---------------------------------------------------------------------------


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(plan.title for plan in response.context["page"].object_list)


def test_list_filters_by_status(desk_client, patient):
    make_plan(patient, title="Draft one")
    make_plan(patient, title="Shown one", status=PlanStatus.PRESENTED)
    make_plan(patient, title="Shown two", status=PlanStatus.PRESENTED)

    response = desk_client.get(reverse("plan-list"), {"status": "presented"})

    assert listed(response) == ["Shown one", "Shown two"]
    assert listed(desk_client.get(reverse("plan-list"))) == ["Draft one", "Shown one", "Shown two"]


def test_list_filters_by_patient(desk_client, patient):
    other = PatientFactory(full_name="Bo Other")
    make_plan(patient, title="Ada's plan")
    make_plan(other, title="Bo's plan")

    response = desk_client.get(reverse("plan-list"), {"patient": other.pk})

    assert listed(response) == ["Bo's plan"]


def test_list_filters_by_ready_by_month(desk_client, patient):
    make_plan(patient, title="Early June", ready_by=date(2027, 6, 1))
    make_plan(patient, title="Late June", ready_by=date(2027, 6, 30))
    make_plan(patient, title="July", ready_by=date(2027, 7, 1))
    make_plan(patient, title="June a year earlier", ready_by=date(2026, 6, 15))
    make_plan(patient, title="No date")

    response = desk_client.get(reverse("plan-list"), {"ready_by_month": "2027-06"})

    assert listed(response) == ["Early June", "Late June"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("wedding", ["Before the WEDDING"]),
        ("ada", ["Before the WEDDING", "Scar care"]),
        ("ADA EXAMPLE", ["Before the WEDDING", "Scar care"]),
        ("nothing like it", []),
        # The patient found as the patient search finds them: words in any order, accents.
        ("example ada", ["Before the WEDDING", "Scar care"]),
        ("other bö", ["Hair"]),
    ],
)
def test_list_searches_titles_and_patient_names(desk_client, patient, query, found):
    make_plan(patient, title="Before the WEDDING")
    make_plan(patient, title="Scar care")
    make_plan(PatientFactory(full_name="Bo Other"), title="Hair")

    assert listed(desk_client.get(reverse("plan-list"), {"q": query})) == found


def test_list_combines_filters(desk_client, patient):
    make_plan(patient, title="Glow draft")
    make_plan(patient, title="Glow shown", status=PlanStatus.PRESENTED)
    make_plan(patient, title="Scar shown", status=PlanStatus.PRESENTED)

    response = desk_client.get(reverse("plan-list"), {"q": "glow", "status": "presented"})

    assert listed(response) == ["Glow shown"]


def test_list_paginates_and_keeps_the_filter_in_page_links(desk_client, patient):
    for number in range(30):
        make_plan(patient, title=f"Plan {number:02}")

    first = desk_client.get(reverse("plan-list"), {"status": "draft"})
    second = desk_client.get(reverse("plan-list"), {"status": "draft", "page": 2})

    assert len(first.context["page"].object_list) == PLANS_PER_PAGE
    assert len(listed(second)) == 30 - PLANS_PER_PAGE
    assert set(listed(first)).isdisjoint(listed(second))
    assert "Page 2" in second.content.decode()
    assert not second.context["page"].has_next
    assert "?status=draft&amp;page=2" in first.content.decode()
    assert "?status=draft&amp;page=1" in second.content.decode()
    # Newest first.
    assert listed(second) == [f"Plan {number:02}" for number in range(5)]


@pytest.mark.parametrize("month", ["2027-13", "2027-00", "June", "2027", "2027-06-01"])
def test_list_with_a_bad_month_shows_an_error(desk_client, patient, month):
    make_plan(patient, title="Still listed")

    response = desk_client.get(reverse("plan-list"), {"ready_by_month": month})

    assert response.status_code == 200
    errors = response.context["filters"].errors["ready_by_month"]
    assert len(errors) == 1
    assert f'<p class="field-error">{escape(errors[0])}</p>' in response.content.decode()


def test_list_queries_do_not_grow_with_the_number_of_plans(
    desk_client, django_assert_max_num_queries, django_assert_num_queries
):
    patients = [PatientFactory(full_name=f"Patient {n}") for n in range(30)]
    for p in patients[:3]:
        make_plan(p)
    desk_client.get(reverse("plan-list"))  # warm up caches

    with django_assert_max_num_queries(LIST_QUERY_BOUND) as with_three:
        assert desk_client.get(reverse("plan-list")).status_code == 200
    for p in patients[3:]:
        make_plan(p)
    with django_assert_num_queries(len(with_three)):
        assert desk_client.get(reverse("plan-list")).status_code == 200


def test_detail_and_compare_queries_do_not_grow_with_the_number_of_courses(
    desk_client, catalog, patient, django_assert_max_num_queries, django_assert_num_queries
):
    small = make_plan(patient, catalog[MICRONEEDLING], title="Small")
    large = make_plan(patient, title="Large")
    for position in range(10):
        CourseFactory(
            plan=large,
            position=position,
            treatment=catalog[MICRONEEDLING if position % 2 else INJECTABLE],
            sessions=1,
            interval_count=4,
            interval_unit="weeks",
            first_session=timezone.localdate() + timedelta(days=14 + 30 * position),
        )

    # Warm up caches: the catalog, and each plan's rendered results (planner.fragments).
    for plan in (small, large):
        desk_client.get(reverse("plan-detail", args=[plan.pk]))

    for name, bound, pks in [
        ("plan-detail", DETAIL_QUERY_BOUND, lambda plan: [plan.pk]),
        ("plan-compare", COMPARE_QUERY_BOUND, lambda plan: [plan.pk, plan.pk]),
    ]:
        with django_assert_max_num_queries(bound) as with_one:
            assert desk_client.get(reverse(name, args=pks(small))).status_code == 200
        with django_assert_num_queries(len(with_one)):
            assert desk_client.get(reverse(name, args=pks(large))).status_code == 200


# --- escaping --------------------------------------------------------------------------------

TITLE_MARKUP = '<script>alert("title")</script>'
NAME_MARKUP = '<img src=x onerror="alert(1)">'


@pytest.fixture
def marked_up_plans(catalog):
    patient = PatientFactory(full_name=NAME_MARKUP)
    return (
        make_plan(patient, catalog[MICRONEEDLING], title=TITLE_MARKUP),
        make_plan(patient, catalog[MICRONEEDLING], title=f"{TITLE_MARKUP} B"),
    )


def assert_escaped(response) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    for markup in (TITLE_MARKUP, NAME_MARKUP):
        assert markup not in html
        assert escape(markup) in html


def test_list_escapes_titles_and_names(desk_client, marked_up_plans):
    assert_escaped(desk_client.get(reverse("plan-list")))


def test_list_escapes_the_search_term(desk_client, marked_up_plans):
    response = desk_client.get(reverse("plan-list"), {"q": TITLE_MARKUP})

    assert_escaped(response)
    assert listed(response) == sorted(p.title for p in marked_up_plans)


def test_detail_escapes_titles_and_names(desk_client, marked_up_plans):
    assert_escaped(desk_client.get(reverse("plan-detail", args=[marked_up_plans[0].pk])))


def test_compare_escapes_titles_and_names(desk_client, marked_up_plans):
    first, second = marked_up_plans

    assert_escaped(desk_client.get(reverse("plan-compare", args=[first.pk, second.pk])))


def test_editor_escapes_titles_and_names(desk_client, marked_up_plans):
    assert_escaped(desk_client.get(reverse("plan-edit", args=[marked_up_plans[0].pk])))


def test_messages_escape_the_plan_title(desk_client, catalog, patient):
    plan = make_plan(patient, catalog[MICRONEEDLING], title=TITLE_MARKUP)

    response = desk_client.post(reverse("plan-duplicate", args=[plan.pk]), follow=True)

    html = response.content.decode()
    assert f"“{escape(TITLE_MARKUP)} (option B)”" in html
    assert TITLE_MARKUP not in html
