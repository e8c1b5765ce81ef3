"""Deleting an abandoned draft (plan-delete-draft): its author or a clinician may; a plan
past draft, or a draft whose summary was opened, is cancelled instead."""

import pytest
from django.contrib import messages
from django.urls import reverse

from clinic.catalog_seed import MICRONEEDLING
from clinic.roles import FRONT_DESK
from planner import actions
from planner.models import Course, Plan, PlanStatus, SummaryAccess
from tests.conftest import user_with_role
from tests.factories.planner import make_plan
from tests.helpers import two_users_one_stale


@pytest.fixture
def draft(catalog, patient, front_desk):
    return make_plan(patient, catalog[MICRONEEDLING], title="Option B", created_by=front_desk)


def delete(client, plan, version=None):
    return client.post(
        reverse("plan-delete-draft", args=[plan.pk]),
        {"version": plan.version if version is None else version},
    )


def error_messages(response) -> list[str]:
    return [
        m.message for m in messages.get_messages(response.wsgi_request) if m.level == messages.ERROR
    ]


def test_author_deletes_their_draft_and_history_keeps_who(desk_client, draft, front_desk):
    response = delete(desk_client, draft)

    assert response.status_code == 302
    assert response.url == draft.patient.get_absolute_url()
    assert not Plan.objects.filter(pk=draft.pk).exists()
    assert not Course.objects.filter(plan_id=draft.pk).exists()
    record = Plan.history.filter(id=draft.pk).latest("history_date")
    assert record.history_type == "-" and record.history_user == front_desk


def test_plan_page_offers_delete_to_the_author_only(desk_client, client, draft, db):
    assert "Delete draft" in desk_client.get(draft.get_absolute_url()).content.decode()
    client.force_login(user_with_role(FRONT_DESK, username="other-desk"))
    assert "Delete draft" not in client.get(draft.get_absolute_url()).content.decode()


def test_another_front_desk_user_may_not_delete(client, draft):
    client.force_login(user_with_role(FRONT_DESK, username="other-desk"))

    assert delete(client, draft).status_code == 403
    assert Plan.objects.filter(pk=draft.pk).exists()


def test_clinician_deletes_anyones_draft(clinician_client, draft):
    assert delete(clinician_client, draft).status_code == 302
    assert not Plan.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize(
    "status", [PlanStatus.PRESENTED, PlanStatus.ACCEPTED, PlanStatus.CANCELLED]
)
def test_a_plan_past_draft_is_never_deleted(desk_client, draft, status):
    Plan.objects.filter(pk=draft.pk).update(status=status)
    draft.refresh_from_db()

    response = delete(desk_client, draft)

    assert Plan.objects.filter(pk=draft.pk).exists()
    assert error_messages(response) == [
        actions.ONLY_DRAFTS_DELETED.format(status=draft.get_status_display().lower())
    ]


def test_a_draft_whose_summary_was_opened_stays(desk_client, draft, front_desk):
    SummaryAccess.objects.create(plan=draft, user=front_desk, kind=SummaryAccess.Kind.PAGE)

    response = delete(desk_client, draft)

    assert Plan.objects.filter(pk=draft.pk).exists()
    assert error_messages(response) == [actions.DRAFT_SUMMARY_ON_RECORD]


def test_a_stale_delete_changes_nothing(desk_client, draft, front_desk):
    def other_edit():
        actions.plan_transition(
            plan=Plan.objects.get(pk=draft.pk),
            to_status=PlanStatus.PRESENTED,
            user=front_desk,
            expected_version=draft.version,
        )
        actions.plan_transition(
            plan=Plan.objects.get(pk=draft.pk),
            to_status=PlanStatus.DRAFT,
            user=front_desk,
            expected_version=draft.version + 1,
        )

    response = two_users_one_stale(
        read=lambda: draft.version,
        other_write=other_edit,
        stale_write=lambda seen: delete(desk_client, draft, version=seen),
        state=lambda: list(Plan.objects.filter(pk=draft.pk).values_list("status", "version")),
    )

    assert error_messages(response) == [actions.STALE_EDIT]


def test_get_is_refused(desk_client, draft):
    assert desk_client.get(reverse("plan-delete-draft", args=[draft.pk])).status_code == 405


def test_unknown_plan_is_not_found(desk_client, db):
    assert desk_client.post(reverse("plan-delete-draft", args=[999_999])).status_code == 404
