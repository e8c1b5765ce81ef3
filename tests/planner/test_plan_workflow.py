"""The plan status workflow, frozen quotes, the investigational guardrail, duplicate and
compare."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from clinic.models import ConsentDocument, PriceRange
from planner import actions, workflow
from planner.delivery import actions as delivery
from planner.forms import plans as plan_forms
from planner.models import Plan, PlanStatus
from planner.planning import CourseDraft, drafts_of
from tests.factories.accounts import UserFactory
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import PatientFactory, make_plan
from tests.helpers import (
    sign_as_patient,
    sign_off_expected,
    sign_off_fields,
    two_users_one_stale,
)

S = PlanStatus


@pytest.fixture
def microneedling_plan(catalog, patient):
    return make_plan(patient, catalog[MICRONEEDLING])


@pytest.fixture
def injectable_plan(catalog, patient):
    """An injectable course naming its (fully documented) investigational product and lot:
    without them it could not be presented at all."""
    plan = make_plan(patient, catalog[INJECTABLE], sessions=2, title="Injectable plan")
    lot = ProductLotFactory(product=ExosomeProductFactory(injectable=True))
    plan.courses.update(product=lot.product, lot=lot)
    return plan


def transition(client, plan, to: str, version=None):
    plan.refresh_from_db()
    return client.post(
        reverse("plan-transition", args=[plan.pk]),
        {"to": to, "version": plan.version if version is None else version},
    )


def message_texts(response, level) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == level]


def total_on(html: str) -> str:
    start = html.index('id="plan-total"')
    return html[html.index(">", start) + 1 : html.index("</strong>", start)]


def detail(client, plan) -> str:
    response = client.get(reverse("plan-detail", args=[plan.pk]))
    assert response.status_code == 200
    return response.content.decode()


def set_series_minimum(treatment, minimum: str) -> None:
    PriceRange.objects.filter(treatment=treatment, unit="series").update(minimum=Decimal(minimum))


# --- which moves exist -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (S.DRAFT, {S.PRESENTED, S.CANCELLED}),
        (S.PRESENTED, {S.ACCEPTED, S.DECLINED, S.DRAFT, S.CANCELLED}),
        # In progress and completed follow the session records (tests/planner/delivery/).
        (S.ACCEPTED, {S.CANCELLED}),
        (S.IN_PROGRESS, {S.CANCELLED}),
        (S.DECLINED, {S.DRAFT}),
        (S.COMPLETED, set()),
        (S.CANCELLED, set()),
    ],
)
def test_allowed_transitions(status, allowed):
    assert set(workflow.allowed_transitions(status)) == allowed
    for target in S.values:
        assert workflow.can_transition(status, target) == (target in allowed)


def test_allowed_transitions_of_an_unknown_status_is_empty():
    assert workflow.allowed_transitions("archived") == ()


def test_every_allowed_move_has_a_button_label():
    for status in S.values:
        for target in workflow.allowed_transitions(status):
            label = workflow.action_label(status, target)
            assert label and label == label.strip()


@pytest.mark.parametrize("current", S.values)
def test_plan_transition_succeeds_exactly_for_allowed_moves(catalog, patient, front_desk, current):
    # The move table alone: no consent asked for (tests/planner/signing cover accepting).
    ConsentDocument.objects.update(active=False)
    for target in S.values:
        plan = make_plan(patient, catalog[MICRONEEDLING], status=current)
        if workflow.can_transition(current, target):
            actions.plan_transition(
                plan=plan, to_status=target, user=front_desk, expected_version=1
            )
            plan.refresh_from_db()
            assert (plan.status, plan.version) == (target, 2)
        else:
            with pytest.raises(actions.PlanActionError):
                actions.plan_transition(
                    plan=plan, to_status=target, user=front_desk, expected_version=1
                )
            plan.refresh_from_db()
            assert (plan.status, plan.version) == (current, 1)


def test_disallowed_transition_is_refused_with_a_message(desk_client, microneedling_plan):
    response = transition(desk_client, microneedling_plan, S.COMPLETED)

    assert response.status_code == 302
    assert response.url == reverse("plan-detail", args=[microneedling_plan.pk])
    assert message_texts(response, messages.ERROR) == [
        actions.TRANSITION_NOT_ALLOWED.format(current="draft", target="completed")
    ]
    microneedling_plan.refresh_from_db()
    assert (microneedling_plan.status, microneedling_plan.version) == (S.DRAFT, 1)
    assert microneedling_plan.quote is None


def test_unknown_target_status_is_refused(desk_client, microneedling_plan):
    response = transition(desk_client, microneedling_plan, "archived")

    assert response.status_code == 302
    assert len(message_texts(response, messages.ERROR)) == 1
    microneedling_plan.refresh_from_db()
    assert microneedling_plan.status == S.DRAFT


def test_transition_from_a_stale_page_is_refused(desk_client, microneedling_plan):
    response = transition(desk_client, microneedling_plan, S.PRESENTED, version=0)

    assert message_texts(response, messages.ERROR) == [actions.STALE_EDIT]
    microneedling_plan.refresh_from_db()
    assert (microneedling_plan.status, microneedling_plan.quote) == (S.DRAFT, None)


def test_plan_without_courses_cannot_be_presented(desk_client, patient):
    plan = make_plan(patient)

    response = transition(desk_client, plan, S.PRESENTED)

    assert message_texts(response, messages.ERROR) == [actions.NO_COURSES]
    plan.refresh_from_db()
    assert plan.status == S.DRAFT


def test_detail_offers_only_the_allowed_moves(desk_client, microneedling_plan):
    html = detail(desk_client, microneedling_plan)

    assert workflow.action_label(S.DRAFT, S.PRESENTED) in html
    assert workflow.action_label(S.PRESENTED, S.ACCEPTED) not in html
    assert f'name="version" value="{microneedling_plan.version}"' in html


# --- the frozen quote ------------------------------------------------------------------------


def test_presenting_freezes_the_quote(desk_client, front_desk, microneedling_plan):
    response = transition(desk_client, microneedling_plan, S.PRESENTED)

    assert response.status_code == 302
    assert message_texts(response, messages.SUCCESS)
    microneedling_plan.refresh_from_db()
    quote = microneedling_plan.quote
    assert microneedling_plan.status == S.PRESENTED
    assert microneedling_plan.quoted_at is not None
    assert microneedling_plan.updated_by == front_desk
    assert (Decimal(quote["total_min"]), Decimal(quote["total_max"])) == (2000, 4000)
    assert quote["currency"] == "USD"
    assert quote["complete"] is True


def test_price_change_after_presenting_keeps_the_frozen_figures(
    desk_client, catalog, microneedling_plan
):
    transition(desk_client, microneedling_plan, S.PRESENTED)
    set_series_minimum(catalog[MICRONEEDLING], "2500")

    html = detail(desk_client, microneedling_plan)

    assert total_on(html) == "USD 2,000–4,000"
    assert "Today’s prices differ" in html
    assert "<strong>USD 2,500–4,000</strong>" in html


def test_presented_plan_at_todays_prices_shows_no_price_notice(desk_client, microneedling_plan):
    transition(desk_client, microneedling_plan, S.PRESENTED)

    html = detail(desk_client, microneedling_plan)

    assert total_on(html) == "USD 2,000–4,000"
    assert "Today’s prices differ" not in html


def test_reprice_back_to_draft_takes_todays_prices(desk_client, catalog, microneedling_plan):
    transition(desk_client, microneedling_plan, S.PRESENTED)
    set_series_minimum(catalog[MICRONEEDLING], "2500")
    assert workflow.action_label(S.PRESENTED, S.DRAFT) in detail(desk_client, microneedling_plan)

    transition(desk_client, microneedling_plan, S.DRAFT)

    microneedling_plan.refresh_from_db()
    assert (microneedling_plan.status, microneedling_plan.quote) == (S.DRAFT, None)
    assert microneedling_plan.quoted_at is None
    html = detail(desk_client, microneedling_plan)
    assert total_on(html) == "USD 2,500–4,000"
    assert "Today’s prices differ" not in html


def test_accepting_and_treating_keep_the_frozen_figures(
    desk_client, front_desk, catalog, microneedling_plan
):
    transition(desk_client, microneedling_plan, S.PRESENTED)
    microneedling_plan.refresh_from_db()
    frozen = microneedling_plan.quote
    set_series_minimum(catalog[MICRONEEDLING], "2500")

    for status in (S.ACCEPTED, S.COMPLETED):
        if status == S.ACCEPTED:
            # The plan needs the topical consent: the patient's signature accepts it.
            sign_as_patient(microneedling_plan, staff=front_desk)
        else:
            delivery.plan_complete(
                plan=microneedling_plan,
                reason="Patient moved away",
                user=microneedling_plan.created_by or UserFactory(),
                expected_version=microneedling_plan.version,
            )
        microneedling_plan.refresh_from_db()
        assert microneedling_plan.status == status
        assert microneedling_plan.quote == frozen
        html = detail(desk_client, microneedling_plan)
        assert total_on(html) == "USD 2,000–4,000"
        assert "Today’s prices differ" in html


# --- the investigational guardrail -----------------------------------------------------------


def test_plan_with_an_injectable_course_cannot_be_presented_unrecorded(
    desk_client, injectable_plan
):
    response = transition(desk_client, injectable_plan, S.PRESENTED)

    assert message_texts(response, messages.ERROR) == [actions.INVESTIGATIONAL_RECORD_MISSING]
    injectable_plan.refresh_from_db()
    assert (injectable_plan.status, injectable_plan.version, injectable_plan.quote) == (
        S.DRAFT,
        1,
        None,
    )


def test_investigational_notice_is_shown_on_plan_detail(desk_client, injectable_plan):
    html = detail(desk_client, injectable_plan)

    assert "Investigational treatment" in html
    assert "Not recorded yet" in html


def test_investigational_notice_says_who_does_what_as_the_workflow_does(
    desk_client, injectable_plan
):
    """The clinician records the reference before presenting; the patient acknowledges by
    signing, which accepting needs. The notice said a clinician records the patient's
    acknowledgement before the plan may even be presented."""
    html = detail(desk_client, injectable_plan)

    assert "records the IND or trial reference and the patient’s acknowledgement" not in html
    assert (
        "This plan cannot be presented until a clinician records the IND or trial reference, nor "
        "accepted until the patient acknowledges it by signing the investigational consent."
    ) in html


def test_no_investigational_notice_without_an_injectable_course(desk_client, microneedling_plan):
    assert "Investigational treatment" not in detail(desk_client, microneedling_plan)


def test_front_desk_cannot_record_the_investigational_reference(desk_client, injectable_plan):
    response = desk_client.post(
        reverse("plan-investigational", args=[injectable_plan.pk]),
        {"reference": "IND 123456", "patient_acknowledged": "on"},
    )

    assert response.status_code == 403
    injectable_plan.refresh_from_db()
    assert injectable_plan.investigational_reference == ""
    assert not injectable_plan.patient_acknowledged_investigational
    assert injectable_plan.investigational_recorded_by is None
    assert injectable_plan.investigational_recorded_at is None


def test_front_desk_is_not_offered_the_record_form(desk_client, injectable_plan):
    html = detail(desk_client, injectable_plan)

    assert reverse("plan-investigational", args=[injectable_plan.pk]) not in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"patient_acknowledged": "on"}, "reference", plan_forms.REFERENCE_REQUIRED),
        (
            {"reference": "   ", "patient_acknowledged": "on"},
            "reference",
            plan_forms.REFERENCE_REQUIRED,
        ),
    ],
)
def test_investigational_record_needs_a_reference(
    clinician_client, injectable_plan, data, field, message
):
    response = clinician_client.post(
        reverse("plan-investigational", args=[injectable_plan.pk]), data
    )

    assert response.status_code == 400
    html = response.content.decode()
    slot = html[html.index(f'id="err-{field}"') :]
    assert slot[: slot.index("</div>")].count(escape(message)) == 1
    injectable_plan.refresh_from_db()
    assert injectable_plan.investigational_reference == ""
    assert not injectable_plan.patient_acknowledged_investigational
    assert injectable_plan.investigational_recorded_at is None


def test_clinician_records_the_reference_and_the_plan_can_be_presented(
    clinician_client, clinician, injectable_plan
):
    response = clinician_client.post(
        reverse("plan-investigational", args=[injectable_plan.pk]),
        {
            "reference": "  IND 123456  ",
            "patient_acknowledged": "on",
            **sign_off_fields(injectable_plan),
        },
    )

    assert response.status_code == 302
    injectable_plan.refresh_from_db()
    assert injectable_plan.investigational_reference == "IND 123456"
    # The patient acknowledges by signing the investigational consent, not by this form.
    assert not injectable_plan.patient_acknowledged_investigational
    assert injectable_plan.investigational_recorded_by == clinician
    assert injectable_plan.investigational_recorded_at is not None
    assert injectable_plan.version == 2  # an editor opened before this is now stale
    assert "IND 123456" in detail(clinician_client, injectable_plan)

    transition(clinician_client, injectable_plan, S.PRESENTED)

    injectable_plan.refresh_from_db()
    assert injectable_plan.status == S.PRESENTED
    assert Decimal(injectable_plan.quote["total_min"]) == 6000  # 2 × USD 3,000–6,000
    assert Decimal(injectable_plan.quote["total_max"]) == 12000


def test_plan_with_a_recorded_reference_can_be_presented(
    clinician_client, clinician, injectable_plan
):
    Plan.objects.filter(pk=injectable_plan.pk).update(
        investigational_reference="IND 123456",
        patient_acknowledged_investigational=True,
        investigational_recorded_by=clinician,
        investigational_recorded_at=timezone.now(),
    )
    assert "Not recorded yet" not in detail(clinician_client, injectable_plan)

    response = transition(clinician_client, injectable_plan, S.PRESENTED)

    assert message_texts(response, messages.ERROR) == []
    injectable_plan.refresh_from_db()
    assert injectable_plan.status == S.PRESENTED
    assert Decimal(injectable_plan.quote["total_min"]) == 6000  # 2 × USD 3,000–6,000
    assert Decimal(injectable_plan.quote["total_max"]) == 12000


def test_acknowledgement_without_a_reference_does_not_unlock_presenting(
    desk_client, injectable_plan
):
    Plan.objects.filter(pk=injectable_plan.pk).update(
        investigational_reference="  ", patient_acknowledged_investigational=True
    )

    response = transition(desk_client, injectable_plan, S.PRESENTED)

    assert message_texts(response, messages.ERROR) == [actions.INVESTIGATIONAL_RECORD_MISSING]
    injectable_plan.refresh_from_db()
    assert injectable_plan.status == S.DRAFT


# --- duplicate and compare -------------------------------------------------------------------


def test_duplicate_creates_a_draft_alternative_with_the_same_courses(
    desk_client, front_desk, catalog, patient
):
    original = make_plan(
        patient,
        catalog[MICRONEEDLING],
        catalog[INJECTABLE],
        status=S.PRESENTED,
        title="Glow plan",
        indications=["scars"],
        notes="Prefers mornings.",
        quote={"frozen": True},
    )

    response = desk_client.post(reverse("plan-duplicate", args=[original.pk]))

    copy = Plan.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302
    assert response.url == reverse("plan-edit", args=[copy.pk])
    assert copy.title == "Glow plan (option B)"
    assert (copy.status, copy.quote, copy.version) == (S.DRAFT, None, 1)
    assert copy.alternative_of == original
    assert (copy.patient, copy.indications, copy.notes) == (patient, ["scars"], "Prefers mornings.")
    assert copy.created_by == front_desk

    def rows(plan):
        return [
            (c.position, c.treatment_id, c.sessions, c.interval_count, c.interval_unit)
            + (c.first_session, c.exosome_source)
            for c in plan.courses.all()
        ]

    assert rows(copy) == rows(original)
    original.refresh_from_db()
    assert (original.status, original.title) == (S.PRESENTED, "Glow plan")


def test_compare_shows_both_plans_totals(desk_client, catalog, patient):
    series = make_plan(patient, catalog[MICRONEEDLING], title="Series of three")
    single = make_plan(patient, catalog[MICRONEEDLING], sessions=1, title="Single session")

    response = desk_client.get(reverse("plan-compare", args=[series.pk, single.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>USD 2,000–4,000</strong>" in html
    assert "<strong>USD 600–1,500</strong>" in html
    assert html.index("Series of three") < html.index("Single session")


def test_compare_of_two_patients_plans_is_not_found(desk_client, catalog, patient):
    other_patient = PatientFactory(full_name="Bo Other")
    mine = make_plan(patient, catalog[MICRONEEDLING])
    theirs = make_plan(other_patient, catalog[MICRONEEDLING])

    response = desk_client.get(reverse("plan-compare", args=[mine.pk, theirs.pk]))

    assert response.status_code == 404


def test_changing_the_investigational_course_clears_the_recorded_acknowledgement(
    clinician, catalog, patient
):
    from planner.actions import PlanFields, plan_record_investigational, plan_save
    from planner.planning import drafts_of

    injectable = catalog[INJECTABLE]
    plan = plan_save(
        plan=None,
        patient=patient,
        fields=PlanFields(title="Inj", indications=[], ready_by=None, notes=""),
        drafts=[
            CourseDraft(
                key="0",
                treatment=injectable,
                sessions=2,
                interval_count=4,
                interval_unit="weeks",
                first_session=timezone.localdate() + timedelta(days=10),
            )
        ],
        user=clinician,
    )
    plan_record_investigational(
        plan=plan,
        reference="IND 123456",
        user=clinician,
        **sign_off_expected(plan),
    )
    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)
    same = drafts_of(plan)
    plan = plan_save(
        plan=plan,
        patient=patient,
        fields=PlanFields(title="Inj, notes", indications=[], ready_by=None, notes="x"),
        drafts=same,
        user=clinician,
        expected_version=plan.version,
    )
    plan.refresh_from_db()
    assert plan.investigational_reference == "IND 123456"

    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=plan.pk)
    more_sessions = [replace(d, sessions=3) for d in drafts_of(plan)]
    plan_save(
        plan=plan,
        patient=patient,
        fields=PlanFields(title="Inj", indications=[], ready_by=None, notes=""),
        drafts=more_sessions,
        user=clinician,
        expected_version=plan.version,
    )
    plan.refresh_from_db()
    assert plan.investigational_reference == ""
    assert plan.patient_acknowledged_investigational is False


# A sign-off refers to the plan as the clinician saw it (security finding 4).


def record_investigational_post(client, plan, shown):
    return client.post(
        reverse("plan-investigational", args=[plan.pk]),
        {"reference": "IND 123456", "patient_acknowledged": "on", **shown},
    )


def ind_state(plan):
    plan.refresh_from_db()
    return (plan.investigational_reference, plan.version, plan.status)


def test_a_stale_ind_record_is_refused_after_the_course_changed(
    clinician_client, clinician, injectable_plan
):
    """A clinician read a 3-session injectable plan; someone made it 9 sessions; the old
    page's record must not be accepted for the new course."""

    def nine_sessions():
        plan = Plan.objects.prefetch_related("courses__treatment").get(pk=injectable_plan.pk)
        actions.plan_save(
            plan=plan,
            patient=plan.patient,
            fields=actions.PlanFields(title=plan.title, indications=[], ready_by=None, notes=""),
            drafts=[replace(d, sessions=9) for d in drafts_of(plan)],
            user=clinician,
            expected_version=plan.version,
        )

    response = two_users_one_stale(
        read=lambda: sign_off_fields(injectable_plan),
        other_write=nine_sessions,
        stale_write=lambda shown: record_investigational_post(
            clinician_client, injectable_plan, shown
        ),
        state=lambda: ind_state(injectable_plan),
    )
    assert response.status_code == 302
    assert message_texts(response, messages.ERROR) == [actions.STALE_SIGN_OFF]
    assert injectable_plan.investigational_reference == ""


def test_a_stale_ind_record_is_refused_when_only_the_fingerprint_differs(
    clinician_client, injectable_plan
):
    shown = {**sign_off_fields(injectable_plan), "fingerprint": "shown-before-a-catalog-edit"}
    before = ind_state(injectable_plan)
    response = record_investigational_post(clinician_client, injectable_plan, shown)
    assert message_texts(response, messages.ERROR) == [actions.STALE_SIGN_OFF]
    assert ind_state(injectable_plan) == before


def test_an_ind_record_racing_a_save_is_refused_not_a_server_error(
    clinician_client, clinician, injectable_plan
):
    """Finding 3: a save landing between reading the page and recording gave a 500."""
    shown = sign_off_fields(injectable_plan)
    Plan.objects.filter(pk=injectable_plan.pk).update(version=shown["version"] + 1)
    response = record_investigational_post(clinician_client, injectable_plan, shown)
    assert response.status_code == 302
    assert message_texts(response, messages.ERROR) == [actions.STALE_SIGN_OFF]


def test_no_record_on_a_plan_that_is_past_presenting(clinician_client, injectable_plan):
    Plan.objects.filter(pk=injectable_plan.pk).update(status=S.CANCELLED)
    response = record_investigational_post(
        clinician_client, injectable_plan, sign_off_fields(injectable_plan)
    )
    assert message_texts(response, messages.ERROR) == [
        actions.SIGN_OFF_CLOSED.format(status="cancelled")
    ]
    assert ind_state(injectable_plan)[0] == ""


def test_swapping_the_lot_of_an_investigational_course_clears_the_record(
    clinician, injectable_plan
):
    from tests.factories.clinic import ProductLotFactory

    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=injectable_plan.pk)
    actions.plan_record_investigational(
        plan=plan,
        reference="IND 123456",
        user=clinician,
        **sign_off_expected(plan),
    )
    plan = Plan.objects.prefetch_related("courses__treatment").get(pk=injectable_plan.pk)
    lot = ProductLotFactory(product__injectable=True)
    actions.plan_save(
        plan=plan,
        patient=plan.patient,
        fields=actions.PlanFields(title=plan.title, indications=[], ready_by=None, notes=""),
        drafts=[replace(d, product=lot.product, lot=lot) for d in drafts_of(plan)],
        user=clinician,
        expected_version=plan.version,
    )
    plan.refresh_from_db()
    assert plan.investigational_reference == ""
