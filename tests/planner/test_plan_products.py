"""Products and lots in the planner: only fitting products are offered, the due diligence
shows beside the estimate, and open questions need a clinician's acknowledgement."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.catalog_seed import INJECTABLE, MICRONEEDLING
from planner import actions
from planner.forms import plans as plan_forms
from planner.models import Course, Plan, PlanStatus
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory, StorageCheckFactory
from tests.factories.planner import CourseFactory, PlanFactory
from tests.helpers import sign_off_fields

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def microneedling(catalog):
    return catalog[MICRONEEDLING]


@pytest.fixture
def injectable(catalog):
    return catalog[INJECTABLE]


def in_days(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def editor_data(treatment, *, product="", lot="", sessions=3, action=None):
    data = {
        "courses-TOTAL_FORMS": "1",
        "courses-INITIAL_FORMS": "0",
        "title": "Glow",
        "ready_by": "",
        "notes": "",
        "courses-0-treatment": str(treatment.pk),
        "courses-0-sessions": str(sessions),
        "courses-0-interval_count": "",
        "courses-0-interval_unit": "",
        "courses-0-first_session": in_days(14),
        "courses-0-exosome_source": "",
        "courses-0-product": str(product),
        "courses-0-lot": str(lot),
    }
    if action:
        data["action"] = action
    return data


def create_url(patient):
    return f"{reverse('plan-create')}?patient={patient.pk}"


def option_labels(response, field):
    form = response.context["formset"].forms[0]
    return [label for value, label in form.fields[field].choices if value != ""]


def test_planner_offers_only_products_whose_routes_fit_the_treatment(
    desk_client, patient, microneedling, injectable
):
    serum = ExosomeProductFactory(name="Topical serum")
    vial = ExosomeProductFactory(
        name="Injectable vial", route_topical=False, injectable=True, exosome_source="msc"
    )
    ExosomeProductFactory(name="Retired serum", active=False)

    topical = desk_client.post(create_url(patient), editor_data(microneedling, action="refresh"))
    assert option_labels(topical, "product") == [str(serum)]

    injected = desk_client.post(create_url(patient), editor_data(injectable, action="refresh"))
    assert option_labels(injected, "product") == [str(vial)]


def test_a_product_that_does_not_fit_the_route_is_refused_with_a_reason(
    desk_client, patient, injectable
):
    serum = ExosomeProductFactory(name="Topical serum")
    response = desk_client.post(
        create_url(patient), editor_data(injectable, product=serum.pk), headers=HTMX
    )
    expected = plan_forms.PRODUCT_NOT_FOR_ROUTE.format(
        product="Topical serum", route="injection", treatment=injectable.name
    )
    assert escape(expected) in response.content.decode()
    assert response["HX-Reswap"] == "none"


def test_lot_choices_are_the_chosen_products_lots(desk_client, patient, microneedling):
    lot = ProductLotFactory(lot_number="A-1")
    ProductLotFactory(lot_number="OTHER")
    response = desk_client.post(
        create_url(patient), editor_data(microneedling, product=lot.product.pk, action="refresh")
    )
    assert [label.split(" ")[0] for label in option_labels(response, "lot")] == ["A-1"]


def test_lot_of_another_product_is_refused(desk_client, patient, microneedling):
    product = ExosomeProductFactory()
    foreign = ProductLotFactory(lot_number="F-9")
    response = desk_client.post(
        create_url(patient),
        editor_data(microneedling, product=product.pk, lot=foreign.pk),
        headers=HTMX,
    )
    assert escape(plan_forms.LOT_NOT_OF_PRODUCT) in response.content.decode()


def test_warnings_show_beside_the_estimate(desk_client, patient, microneedling):
    lot = ProductLotFactory(
        lot_number="C-7",
        expires_on=timezone.localdate() + timedelta(days=50),
    )
    StorageCheckFactory(lot=lot, checked_on=date(2026, 10, 9), temperature_celsius=Decimal("12"))
    response = desk_client.post(
        create_url(patient),
        editor_data(microneedling, product=lot.product.pk, lot=lot.pk),
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Product due diligence" in html
    assert "Lot C-7 was stored at 12 °C on 9 Oct 2026, outside the required 2 °C to 8 °C." in html
    assert "before session 3" in html  # monthly from day 14: sessions at ~14, ~44, ~75


def test_saving_keeps_product_and_lot(desk_client, patient, microneedling):
    lot = ProductLotFactory()
    response = desk_client.post(
        create_url(patient),
        editor_data(microneedling, product=lot.product.pk, lot=lot.pk, action="save"),
    )
    assert response.status_code == 302
    course = Course.objects.get()
    assert (course.product, course.lot) == (lot.product, lot)
    assert course.exosome_source == lot.product.exosome_source


def plan_with_product(patient, microneedling, product, lot=None):
    plan = PlanFactory(patient=patient)
    CourseFactory(
        plan=plan,
        treatment=microneedling,
        sessions=3,
        first_session=timezone.localdate() + timedelta(days=14),
        product=product,
        lot=lot,
    )
    return plan


def present(client, plan):
    plan.refresh_from_db()
    return client.post(
        reverse("plan-transition", args=[plan.pk]), {"to": "presented", "version": plan.version}
    )


def test_open_questions_block_presenting_until_a_clinician_acknowledges(
    desk_client, clinician, patient, microneedling
):
    product = ExosomeProductFactory(source_cell_line="")  # question 1 unanswered
    plan = plan_with_product(patient, microneedling, product)

    present(desk_client, plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    detail = desk_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert escape(actions.DUE_DILIGENCE_UNACKNOWLEDGED) in detail
    assert "Only a clinician can acknowledge these gaps" in detail

    refused = desk_client.post(reverse("plan-due-diligence", args=[plan.pk]), {"acknowledge": "on"})
    assert refused.status_code == 403

    desk_client.force_login(clinician)
    missing = desk_client.post(reverse("plan-due-diligence", args=[plan.pk]), {})
    assert missing.status_code == 400
    assert escape(plan_forms.ACKNOWLEDGE_REQUIRED) in missing.content.decode()
    desk_client.post(
        reverse("plan-due-diligence", args=[plan.pk]),
        {"acknowledge": "on", **sign_off_fields(plan)},
    )
    plan.refresh_from_db()
    assert plan.due_diligence_acknowledged_by == clinician
    assert plan.due_diligence_acknowledged_at is not None
    assert "What is the source cell line?" in plan.due_diligence_gaps_acknowledged

    present(desk_client, plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PRESENTED


def test_a_new_gap_needs_a_new_acknowledgement(clinician, patient, microneedling):
    product = ExosomeProductFactory(source_cell_line="")
    plan = plan_with_product(patient, microneedling, product)
    plan = Plan.objects.get(pk=plan.pk)
    actions.plan_acknowledge_due_diligence(
        plan=plan,
        user=clinician,
        expected_version=plan.version,
        expected_fingerprint=sign_off_fields(plan)["fingerprint"],
    )
    product.clinical_evidence = ""  # a second question becomes open
    product.save()

    plan = Plan.objects.get(pk=plan.pk)
    with pytest.raises(actions.PlanActionError, match="acknowledge"):
        actions.plan_transition(
            plan=plan, to_status="presented", user=clinician, expected_version=plan.version
        )


def test_complete_record_presents_without_acknowledgement(desk_client, patient, microneedling):
    lot = ProductLotFactory()
    plan = plan_with_product(patient, microneedling, lot.product, lot)
    present(desk_client, plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PRESENTED
