"""Merging two patient records (patient-merge-choose, patient-merge): clinic admins only;
plans move to the kept record, history records the merge, a stale page merges nothing."""

from datetime import date

import pytest
from django.contrib import messages
from django.urls import reverse

from planner import actions
from planner.models import Patient, Plan
from tests.factories.planner import PatientFactory, PlanFactory
from tests.helpers import two_users_one_stale


@pytest.fixture
def pair(db):
    keep = PatientFactory(
        full_name="Beatrice Brown", date_of_birth=date(1979, 9, 30), phone="", email=""
    )
    merge = PatientFactory(
        full_name="Beatrice Brown",
        date_of_birth=date(1979, 9, 30),
        phone="+1 617 555 0142",
        email="bea@example.com",
    )
    PlanFactory(patient=keep, title="Kept plan")
    PlanFactory(patient=merge, title="Option from the duplicate")
    PlanFactory(patient=merge, title="Another from the duplicate")
    return keep, merge


def merge_post(client, keep, merge, **versions):
    return client.post(
        reverse("patient-merge", args=[keep.pk]),
        {
            "merge": merge.pk,
            "keep_version": versions.get("keep_version", keep.version),
            "merge_version": versions.get("merge_version", merge.version),
        },
    )


def errors(response) -> list[str]:
    return [
        m.message for m in messages.get_messages(response.wsgi_request) if m.level == messages.ERROR
    ]


def test_admin_merges_a_duplicate_and_its_plans_move(admin_client_clinic, pair, clinic_admin):
    keep, merge = pair

    response = merge_post(admin_client_clinic, keep, merge)

    assert response.status_code == 302 and response.url == keep.get_absolute_url()
    assert sorted(Plan.objects.filter(patient=keep).values_list("title", flat=True)) == [
        "Another from the duplicate",
        "Kept plan",
        "Option from the duplicate",
    ]
    keep.refresh_from_db()
    merge.refresh_from_db()
    assert (keep.phone, keep.email) == ("+1 617 555 0142", "bea@example.com")  # filled in
    assert merge.merged_into == keep and merge.archived
    kept_record = keep.history.latest("history_date")
    assert kept_record.history_user == clinic_admin
    assert f"merged patient #{merge.pk}" in kept_record.history_change_reason
    assert f"merged into patient #{keep.pk}" in (
        merge.history.latest("history_date").history_change_reason
    )
    plan = Plan.objects.get(title="Kept plan")
    moved = Plan.objects.get(title="Option from the duplicate")
    assert "moved from patient" in moved.history.latest("history_date").history_change_reason
    assert plan.history.count() == 1  # the kept record's own plans are untouched


def test_merged_record_says_where_it_went(admin_client_clinic, pair):
    keep, merge = pair
    merge_post(admin_client_clinic, keep, merge)

    html = admin_client_clinic.get(merge.get_absolute_url()).content.decode()

    assert "This record was merged into" in html
    assert keep.get_absolute_url() in html


def test_choose_page_lists_the_likely_duplicate(admin_client_clinic, pair):
    keep, merge = pair

    html = admin_client_clinic.get(reverse("patient-merge-choose", args=[keep.pk])).content
    assert f"Merge #{merge.pk} into this record" in html.decode()


def test_choose_page_shows_another_record_by_number(admin_client_clinic, pair):
    keep, _ = pair
    stranger = PatientFactory(full_name="Unrelated Person")

    response = admin_client_clinic.get(
        reverse("patient-merge-choose", args=[keep.pk]), {"other": stranger.pk}
    )

    assert f"Merge #{stranger.pk} into this record" in response.content.decode()


@pytest.mark.parametrize("client_fixture", ["desk_client", "clinician_client"])
def test_only_clinic_admins_merge(request, client_fixture, pair):
    client = request.getfixturevalue(client_fixture)
    keep, merge = pair

    assert merge_post(client, keep, merge).status_code == 403
    assert client.get(reverse("patient-merge-choose", args=[keep.pk])).status_code == 403
    assert Plan.objects.filter(patient=merge).count() == 2
    assert "Merge a duplicate" not in client.get(keep.get_absolute_url()).content.decode()


def test_a_patient_is_not_merged_into_itself(admin_client_clinic, pair):
    keep, _ = pair

    response = merge_post(admin_client_clinic, keep, keep)

    assert errors(response) == [actions.SAME_PATIENT]


def test_a_merged_record_is_not_merged_again(admin_client_clinic, pair):
    keep, merge = pair
    merge_post(admin_client_clinic, keep, merge)
    merge.refresh_from_db()
    third = PatientFactory()

    response = merge_post(admin_client_clinic, third, merge)

    assert errors(response) == [actions.ALREADY_MERGED.format(name=merge.full_name)]


def test_a_stale_merge_changes_nothing(admin_client_clinic, pair, front_desk):
    keep, merge = pair

    def someone_edits_the_duplicate():
        actions.patient_save(
            patient=Patient.objects.get(pk=merge.pk),
            changes={"notes": "Called to confirm"},
            user=front_desk,
            expected_version=merge.version,
        )

    response = two_users_one_stale(
        read=lambda: (keep.version, merge.version),
        other_write=someone_edits_the_duplicate,
        stale_write=lambda seen: merge_post(
            admin_client_clinic, keep, merge, keep_version=seen[0], merge_version=seen[1]
        ),
        state=lambda: (
            list(Patient.objects.order_by("pk").values_list("version", "merged_into", "archived")),
            list(Plan.objects.order_by("pk").values_list("patient_id", flat=True)),
        ),
    )

    assert errors(response) == [actions.STALE_MERGE]


def test_unknown_patients_are_not_found(admin_client_clinic, pair):
    keep, _ = pair
    response = admin_client_clinic.post(
        reverse("patient-merge", args=[keep.pk]),
        {"merge": 999_999, "keep_version": 1, "merge_version": 1},
    )
    assert response.status_code == 404
    assert (
        admin_client_clinic.get(reverse("patient-merge-choose", args=[999_999])).status_code == 404
    )


def test_merge_refuses_get(admin_client_clinic, pair):
    keep, _ = pair
    assert admin_client_clinic.get(reverse("patient-merge", args=[keep.pk])).status_code == 405


def test_no_new_plan_starts_on_a_merged_record(desk_client, clinic_admin, pair, catalog):
    """A merged record is an archived duplicate: a plan started there would sit on the wrong
    record. Its page offers no "New plan", the editor sends staff to the kept record, and a
    save posted anyway is refused."""
    from tests.planner.test_plan_editor import course, create_url, editor_data

    keep, merge = pair
    actions.patient_merge(
        keep=keep,
        merge=merge,
        user=clinic_admin,
        expected_keep_version=keep.version,
        expected_merge_version=merge.version,
    )

    assert reverse("plan-create") not in desk_client.get(merge.get_absolute_url()).content.decode()
    response = desk_client.get(create_url(merge))
    assert response.status_code == 302 and response.url == keep.get_absolute_url()
    response = desk_client.post(
        create_url(merge),
        editor_data(course(catalog["microneedling-topical-exosome"]), action="save"),
    )
    assert response.status_code == 302 and response.url == keep.get_absolute_url()
    assert not Plan.objects.filter(patient=merge).exists()
