from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from planner.forms.patients import DOB_BEFORE_1900, DOB_IN_FUTURE, NAME_REQUIRED
from planner.models import Patient
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory

pytestmark = pytest.mark.django_db

MARKUP = "<script>alert(1)</script>"
MARKUP_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# Session, user, the user's permissions (one query: clinic.auth_backend), the page of rows
# (detail: patient, plans, the lots the patient received).
LIST_QUERY_BOUND = 5
DETAIL_QUERY_BOUND = 6


def patient_urls(patient):
    return [
        reverse("patient-list"),
        reverse("patient-create"),
        reverse("patient-detail", args=[patient.pk]),
        reverse("patient-edit", args=[patient.pk]),
    ]


def valid_data(**overrides):
    data = {
        "full_name": "Ada Lovelace",
        "date_of_birth": "1985-04-23",
        "phone": "+1 202 555 0199",
        "email": "ada@example.com",
        "notes": "Prefers morning appointments.",
    }
    return {**data, **overrides}


def listed_names(response):
    return [patient["full_name"] for patient in response.context["page"].object_list]


# Access


def test_patient_pages_anonymous_redirects_to_login(client):
    patient = PatientFactory()
    for url in patient_urls(patient):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


def test_patient_pages_no_role_forbidden(client, no_role_user):
    patient = PatientFactory()
    client.force_login(no_role_user)
    for url in patient_urls(patient):
        assert client.get(url).status_code == 403, url


def test_patient_writes_no_role_forbidden_and_nothing_saved(client, no_role_user):
    patient = PatientFactory(full_name="Unchanged Name")
    client.force_login(no_role_user)
    assert client.post(reverse("patient-create"), valid_data()).status_code == 403
    edit = reverse("patient-edit", args=[patient.pk])
    assert client.post(edit, valid_data(full_name="Changed")).status_code == 403
    assert Patient.objects.count() == 1
    patient.refresh_from_db()
    assert patient.full_name == "Unchanged Name"


@pytest.mark.parametrize("role_client", ["desk_client", "clinician_client", "admin_client_clinic"])
def test_patient_pages_staff_roles_ok(request, role_client):
    client = request.getfixturevalue(role_client)
    patient = PatientFactory()
    for url in patient_urls(patient):
        assert client.get(url).status_code == 200, url


def test_patient_pages_unknown_id_not_found(desk_client):
    for name in ("patient-detail", "patient-edit"):
        assert desk_client.get(reverse(name, args=[999999])).status_code == 404, name
    assert desk_client.post(reverse("patient-edit", args=[999999]), valid_data()).status_code == 404


def test_patient_list_refuses_post(desk_client):
    assert desk_client.post(reverse("patient-list")).status_code == 405


def test_patient_detail_refuses_post(desk_client):
    patient = PatientFactory()
    assert desk_client.post(reverse("patient-detail", args=[patient.pk])).status_code == 405


# List


def test_patient_list_shows_columns(desk_client):
    patient = PatientFactory(
        full_name="Grace Hopper",
        date_of_birth=date(1970, 12, 9),
        phone="+1 202 555 0101",
        email="grace@example.com",
    )
    PlanFactory.create_batch(2, patient=patient)
    response = desk_client.get(reverse("patient-list"))
    html = response.content.decode()
    assert "Grace Hopper" in html
    assert patient.get_absolute_url() in html
    assert "9 Dec 1970" in html
    assert "+1 202 555 0101" in html
    assert "grace@example.com" in html
    assert response.context["page"].object_list[0]["plan_count"] == 2
    assert reverse("patient-create") in html


def test_patient_list_search_by_name(desk_client):
    PatientFactory(full_name="Zelda Quixote")
    PatientFactory(full_name="Other Person")
    response = desk_client.get(reverse("patient-list"), {"q": "quix"})
    assert listed_names(response) == ["Zelda Quixote"]


def test_patient_list_search_by_phone(desk_client):
    PatientFactory(full_name="Phone Match", phone="+1 (303) 867-5309")
    PatientFactory(full_name="Other Person", phone="+1 202 555 0000")
    response = desk_client.get(reverse("patient-list"), {"q": "867-5309"})
    assert listed_names(response) == ["Phone Match"]


def test_patient_list_search_by_email(desk_client):
    PatientFactory(full_name="Email Match", email="unique.person@clinic-mail.example")
    PatientFactory(full_name="Other Person")
    response = desk_client.get(reverse("patient-list"), {"q": "UNIQUE.person"})
    assert listed_names(response) == ["Email Match"]


def test_patient_list_search_no_match_says_so(desk_client):
    PatientFactory(full_name="Someone Else")
    response = desk_client.get(reverse("patient-list"), {"q": "nobody-like-this"})
    assert listed_names(response) == []
    assert "No patients match “nobody-like-this”" in response.content.decode()


def test_patient_list_search_term_too_long_matches_nothing(desk_client):
    PatientFactory()
    response = desk_client.get(reverse("patient-list"), {"q": "x" * 201})
    assert response.status_code == 200
    assert listed_names(response) == []


def test_patient_list_paginates_25_per_page(desk_client):
    PatientFactory.create_batch(30)
    first = desk_client.get(reverse("patient-list"))
    second = desk_client.get(reverse("patient-list"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert set(listed_names(first)).isdisjoint(listed_names(second))
    assert 'href="?page=2"' in first.content.decode()


def test_patient_list_pagination_keeps_search_term_escaped(desk_client):
    PatientFactory.create_batch(26, full_name='Smith & "Co" <b>')
    response = desk_client.get(reverse("patient-list"), {"q": 'Smith & "Co" <b>'})
    html = response.content.decode()
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].has_next
    assert 'href="?q=Smith+%26+%22Co%22+%3Cb%3E&amp;page=2"' in html
    second = desk_client.get(reverse("patient-list"), {"q": 'Smith & "Co" <b>', "page": 2})
    assert len(second.context["page"].object_list) == 1


def test_patient_list_hides_archived_unless_asked(desk_client):
    PatientFactory(full_name="Active Patient")
    PatientFactory(full_name="Archived Patient", archived=True)
    assert listed_names(desk_client.get(reverse("patient-list"))) == ["Active Patient"]
    shown = desk_client.get(reverse("patient-list"), {"archived": "1"})
    assert listed_names(shown) == ["Active Patient", "Archived Patient"]


def test_patient_list_pagination_keeps_archived_flag(desk_client):
    PatientFactory.create_batch(26, archived=True)
    response = desk_client.get(reverse("patient-list"), {"archived": "1"})
    assert 'href="?archived=1&amp;page=2"' in response.content.decode()


def test_patient_list_escapes_markup_in_name(desk_client):
    PatientFactory(full_name=MARKUP)
    html = desk_client.get(reverse("patient-list")).content.decode()
    assert MARKUP_ESCAPED in html
    assert MARKUP not in html


def test_patient_list_escapes_markup_in_contact_details(desk_client):
    """The phone and email cell is built in the view (a line each): each line is escaped."""
    PatientFactory(full_name="Marked Up", phone=MARKUP, email=f"{MARKUP}@example.com")
    html = desk_client.get(reverse("patient-list")).content.decode()
    assert f'<td class="contact">{MARKUP_ESCAPED}<br>{MARKUP_ESCAPED}@example.com</td>' in html
    assert MARKUP not in html


def test_patient_list_shows_a_dash_for_missing_details(desk_client):
    PatientFactory(full_name="Only A Name", date_of_birth=None, phone="", email="")
    html = desk_client.get(reverse("patient-list")).content.decode()
    assert '<td class="nowrap">—</td>' in html
    assert '<td class="contact">—</td>' in html


def test_patient_list_query_count_does_not_grow_with_rows(
    desk_client, django_assert_max_num_queries, django_assert_num_queries
):
    for patient in PatientFactory.create_batch(3):
        PlanFactory.create_batch(2, patient=patient)
    with django_assert_max_num_queries(LIST_QUERY_BOUND) as with_3:
        assert desk_client.get(reverse("patient-list")).status_code == 200
    for patient in PatientFactory.create_batch(27):
        PlanFactory.create_batch(2, patient=patient)
    with django_assert_num_queries(len(with_3)):
        assert desk_client.get(reverse("patient-list")).status_code == 200


def test_patient_list_query_count_bounded(desk_client, django_assert_max_num_queries):
    for patient in PatientFactory.create_batch(30):
        PlanFactory(patient=patient)
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        desk_client.get(reverse("patient-list"), {"q": "patient", "archived": "1"})


# Create


def test_patient_create_saves_and_redirects_with_message(desk_client, front_desk):
    response = desk_client.post(reverse("patient-create"), valid_data())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patient-detail", args=[patient.pk])
    assert patient.full_name == "Ada Lovelace"
    assert patient.date_of_birth == date(1985, 4, 23)
    assert patient.phone == "+1 202 555 0199"
    assert patient.email == "ada@example.com"
    assert patient.notes == "Prefers morning appointments."
    assert patient.created_by == front_desk
    assert patient.updated_by == front_desk
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Added Ada Lovelace."]


def test_patient_create_only_name_needed(desk_client):
    response = desk_client.post(
        reverse("patient-create"),
        valid_data(date_of_birth="", phone="", email="", notes=""),
    )
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.date_of_birth is None


def test_patient_form_labels_every_field(desk_client):
    html = desk_client.get(reverse("patient-create")).content.decode()
    for name in ("full_name", "date_of_birth", "phone", "email", "notes"):
        assert f'<label for="id_{name}">' in html, name
    assert 'type="date"' in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": ""}, "full_name", NAME_REQUIRED),
        ({"full_name": "   "}, "full_name", NAME_REQUIRED),
        ({"date_of_birth": "1850-06-01"}, "date_of_birth", DOB_BEFORE_1900),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", DOB_BEFORE_1900),
    ],
)
def test_patient_create_bad_input_shows_error_and_saves_nothing(
    desk_client, overrides, field, message
):
    response = desk_client.post(reverse("patient-create"), valid_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert f'<p class="field-error">{message}</p>'.replace("'", "&#x27;") in html
    assert f'aria-describedby="id_{field}_error"' in html
    assert Patient.objects.count() == 0


def test_patient_create_future_dob_shows_error_and_saves_nothing(desk_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = desk_client.post(
        reverse("patient-create"), valid_data(date_of_birth=tomorrow.isoformat())
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"] == [DOB_IN_FUTURE]
    assert f'<p class="field-error">{DOB_IN_FUTURE}</p>' in response.content.decode()
    assert Patient.objects.count() == 0


def test_patient_create_boundary_dates_accepted(desk_client):
    for n, born in enumerate((date(1900, 1, 1), timezone.localdate())):
        # Other contact details each time: the same ones would be asked about as a duplicate.
        response = desk_client.post(
            reverse("patient-create"),
            valid_data(
                date_of_birth=born.isoformat(), phone=f"+1 202 555 010{n}", email=f"a{n}@x.org"
            ),
        )
        assert response.status_code == 302, born
    assert Patient.objects.count() == 2


def test_patient_create_bad_input_keeps_what_was_typed(desk_client):
    response = desk_client.post(
        reverse("patient-create"), valid_data(full_name="Kept Name", date_of_birth="1850-01-01")
    )
    html = response.content.decode()
    assert 'value="Kept Name"' in html
    assert 'value="1850-01-01"' in html


# Edit


def test_patient_edit_shows_saved_values(desk_client):
    patient = PatientFactory(full_name="Edit Me", date_of_birth=date(1990, 2, 3))
    html = desk_client.get(reverse("patient-edit", args=[patient.pk])).content.decode()
    assert 'value="Edit Me"' in html
    assert 'value="1990-02-03"' in html


def test_patient_edit_saves_and_redirects(client, clinician, front_desk):
    patient = PatientFactory(full_name="Old Name", created_by=front_desk, updated_by=front_desk)
    client.force_login(clinician)
    response = client.post(
        reverse("patient-edit", args=[patient.pk]),
        valid_data(full_name="New Name", version=patient.version),
    )
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    patient.refresh_from_db()
    assert patient.full_name == "New Name"
    assert patient.created_by == front_desk
    assert patient.updated_by == clinician
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Saved changes to New Name."]


def test_patient_edit_bad_input_saves_nothing(desk_client):
    patient = PatientFactory(full_name="Stays Put", date_of_birth=date(1980, 1, 1))
    response = desk_client.post(
        reverse("patient-edit", args=[patient.pk]),
        valid_data(full_name="", date_of_birth="1850-01-01"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["full_name"] == [NAME_REQUIRED]
    assert errors["date_of_birth"] == [DOB_BEFORE_1900]
    # The heading still names the saved patient, not the blank that was typed.
    assert "<h1>Edit Stays Put</h1>" in response.content.decode()
    patient.refresh_from_db()
    assert patient.full_name == "Stays Put"
    assert patient.date_of_birth == date(1980, 1, 1)


# Detail


def test_patient_detail_shows_record_and_plans(desk_client):
    patient = PatientFactory(
        full_name="Detail Person", phone="+1 202 555 0123", notes="Line one\nLine two"
    )
    plan = PlanFactory(patient=patient, title="Pre-wedding glow", ready_by=date(2027, 6, 12))
    CourseFactory.create_batch(2, plan=plan)
    PlanFactory(title="Someone else's plan")
    response = desk_client.get(reverse("patient-detail", args=[patient.pk]))
    html = response.content.decode()
    assert "Detail Person" in html
    assert "+1 202 555 0123" in html
    assert "Line one<br>Line two" in html
    assert f'href="{reverse("plan-detail", args=[plan.pk])}"' in html
    assert "Pre-wedding glow" in html
    assert "Draft" in html
    assert "12 Jun 2027" in html
    assert "Someone else" not in html
    assert list(response.context["plans"]) == [plan]
    assert response.context["plans"][0].course_count == 2


def test_patient_detail_links_new_plan_and_edit(desk_client):
    patient = PatientFactory()
    html = desk_client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert f'href="{reverse("plan-create")}?patient={patient.pk}"' in html
    assert f'href="{reverse("patient-edit", args=[patient.pk])}"' in html


def test_patient_detail_escapes_markup_in_name(desk_client):
    patient = PatientFactory(full_name=MARKUP, notes=MARKUP)
    html = desk_client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert MARKUP_ESCAPED in html
    assert MARKUP not in html


def test_patient_detail_query_count_does_not_grow_with_plans(
    desk_client, django_assert_max_num_queries, django_assert_num_queries
):
    patient = PatientFactory()
    url = reverse("patient-detail", args=[patient.pk])
    CourseFactory(plan=PlanFactory(patient=patient))
    with django_assert_max_num_queries(DETAIL_QUERY_BOUND) as with_1:
        assert desk_client.get(url).status_code == 200
    for plan in PlanFactory.create_batch(9, patient=patient):
        CourseFactory.create_batch(2, plan=plan)
    with django_assert_num_queries(len(with_1)):
        assert desk_client.get(url).status_code == 200


def test_patient_detail_query_count_bounded(desk_client, django_assert_max_num_queries):
    patient = PatientFactory()
    PlanFactory.create_batch(10, patient=patient)
    with django_assert_max_num_queries(DETAIL_QUERY_BOUND):
        desk_client.get(reverse("patient-detail", args=[patient.pk]))


# Two staff editing one patient (security finding 5): the second save is refused, not obeyed.


def test_a_stale_patient_edit_is_refused_and_keeps_the_typed_input(client, front_desk, clinician):
    from planner.actions import STALE_PATIENT
    from tests.helpers import two_users_one_stale

    patient = PatientFactory(full_name="Ada Lovelace", phone="555-0100")
    url = reverse("patient-edit", args=[patient.pk])
    other = type(client)()
    other.force_login(front_desk)
    client.force_login(clinician)

    def read_page():
        return client.get(url).context["form"]["version"].value()

    def phone_changed_by_someone_else():
        response = other.post(url, valid_data(phone="555-0199", version=patient.version))
        assert response.status_code == 302

    def state():
        return Patient.objects.values_list("full_name", "phone", "notes", "version").get()

    response = two_users_one_stale(
        read=read_page,
        other_write=phone_changed_by_someone_else,
        stale_write=lambda version: client.post(
            url, valid_data(phone="555-0100", notes="Typed meanwhile", version=version)
        ),
        state=state,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert escape(STALE_PATIENT) in html
    assert "Typed meanwhile" in html  # the stale editor's input is still in the form
    assert state()[1] == "555-0199"


def test_a_patient_edit_without_a_version_is_refused(desk_client):
    patient = PatientFactory(full_name="Ada Lovelace")
    response = desk_client.post(
        reverse("patient-edit", args=[patient.pk]), valid_data(full_name="Changed")
    )
    assert response.status_code == 409
    patient.refresh_from_db()
    assert patient.full_name == "Ada Lovelace"
