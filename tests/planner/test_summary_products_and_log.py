"""The summary's "About the product" section, and the log of who opened patient material."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.catalog_seed import MICRONEEDLING
from planner.models import SummaryAccess
from tests.factories.clinic import ExosomeProductFactory, ProductLotFactory
from tests.factories.planner import CourseFactory, PatientFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(catalog):
    microneedling = catalog[MICRONEEDLING]
    product = ExosomeProductFactory(name="Cord serum", manufacturer="Acme Bio")
    lot = ProductLotFactory(product=product, lot_number="Q-17", characterisation_document="")
    plan = PlanFactory(patient=PatientFactory(full_name="Ann Lee"))
    CourseFactory(
        plan=plan,
        treatment=microneedling,
        first_session=timezone.localdate() + timedelta(days=10),
        product=product,
        lot=lot,
    )
    return plan


def test_summary_says_what_the_record_holds_about_the_product(desk_client, plan):
    html = desk_client.get(reverse("plan-summary", args=[plan.pk])).content.decode()
    assert "About the product" in html
    assert "Cord serum" in html and "Acme Bio" in html and "Lot Q-17, expires 1 Oct 2027" in html
    assert "Mesenchymal stem cell (MSC)" in html
    assert "Medical / clinical grade" in html
    # The requirement is printed as a requirement, the log beside it.
    assert "<dt>Storage required</dt><dd>2 °C to 8 °C</dd>" in html
    assert "<dt>Cold-chain log</dt><dd>no readings recorded for this lot</dd>" in html
    assert (
        "Lot Q-17: particle count 1,000,000,000,000 per mL; size 40–140 nm (median 95 nm); "
        "surface markers CD9, CD63, CD81"
    ) in html


def test_summary_without_products_has_no_product_section(desk_client, catalog):
    plan = PlanFactory()
    CourseFactory(
        plan=plan,
        treatment=catalog[MICRONEEDLING],
        first_session=timezone.localdate() + timedelta(days=10),
    )
    html = desk_client.get(reverse("plan-summary", args=[plan.pk])).content.decode()
    assert "About the product" not in html


@pytest.mark.parametrize(
    ("url_name", "kind"),
    [("plan-summary", "page"), ("plan-summary-pdf", "pdf"), ("plan-calendar", "calendar")],
)
def test_opening_patient_material_is_logged(desk_client, front_desk, plan, url_name, kind):
    response = desk_client.get(reverse(url_name, args=[plan.pk]))
    assert response.status_code == 200
    logged = SummaryAccess.objects.get()
    assert (logged.plan, logged.user, logged.kind) == (plan, front_desk, kind)


def test_refused_access_is_not_logged_as_a_view(client, no_role_user, plan):
    client.force_login(no_role_user)
    assert client.get(reverse("plan-summary", args=[plan.pk])).status_code == 403
    assert not SummaryAccess.objects.exists()


def test_clinic_admin_sees_the_access_log_in_the_admin(admin_client_clinic, front_desk, plan):
    desk = Client()
    desk.force_login(front_desk)
    desk.get(reverse("plan-summary", args=[plan.pk]))
    response = admin_client_clinic.get(reverse("admin:planner_summaryaccess_changelist"))
    assert response.status_code == 200
    assert "Summary page" in response.content.decode()
