"""The clinic admin keeps price ranges current in the Django admin: the list, the form's
checks, the change history, and who may get in at all."""

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from clinic.models import MIN_ABOVE_MAX, PRICE_DATE_TAKEN, SERIES_NEEDS_SIZE, PriceRange
from tests.factories.accounts import UserFactory
from tests.factories.clinic import PriceRangeFactory, TreatmentTypeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:clinic_pricerange_changelist")
ADD = reverse("admin:clinic_pricerange_add")


def change_url(price):
    return reverse("admin:clinic_pricerange_change", args=[price.pk])


def price_form(treatment, **overrides):
    data = {
        "treatment": treatment.pk,
        "unit": "session",
        "series_size": "",
        "minimum": "600",
        "maximum": "1500",
        "currency": "USD",
        "effective_from": "2026-01-01",
        "source": "clinic",
        "notes": "",
    }
    return {**data, **overrides}


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def listed(response) -> list[PriceRange]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def microneedling():
    return TreatmentTypeFactory(name="Microneedling + topical exosome")


@pytest.fixture
def prices(microneedling):
    laser = TreatmentTypeFactory(name="Fractional laser + topical exosome", laser=True)
    return {
        "session": PriceRangeFactory(treatment=microneedling),
        "series": PriceRangeFactory(treatment=microneedling, series_of_3=True),
        "clinic": PriceRangeFactory(
            treatment=laser, minimum=Decimal("900"), maximum=Decimal("1800"), source="clinic"
        ),
    }


# Changelist


def test_price_changelist_shows_columns_and_formatted_ranges(admin_client_clinic, prices):
    response = admin_client_clinic.get(CHANGELIST)

    assert set(listed(response)) == set(prices.values())
    html = response.content.decode()
    for column in ("treatment", "unit_label", "range_display", "effective_from", "source"):
        assert f"column-{column}" in html, column
    assert "USD 600–1,500" in html
    assert "USD 2,000–4,000" in html
    assert "Series of 3 sessions" in html
    assert "Per session" in html


def test_price_changelist_filter_by_unit(admin_client_clinic, prices):
    response = admin_client_clinic.get(CHANGELIST, {"unit__exact": "series"})

    assert listed(response) == [prices["series"]]


def test_price_changelist_filter_by_source(admin_client_clinic, prices):
    response = admin_client_clinic.get(CHANGELIST, {"source": "clinic"})

    assert listed(response) == [prices["clinic"]]


def test_price_changelist_search_by_source(admin_client_clinic, prices):
    response = admin_client_clinic.get(CHANGELIST, {"q": "regen"})

    assert set(listed(response)) == {prices["session"], prices["series"]}


def test_price_changelist_search_by_treatment_name(admin_client_clinic, prices):
    response = admin_client_clinic.get(CHANGELIST, {"q": "laser"})

    assert listed(response) == [prices["clinic"]]


def test_price_changelist_query_count_bounded(
    admin_client_clinic, prices, django_assert_max_num_queries
):
    for _ in range(10):
        PriceRangeFactory()
    # Session, user, filters (treatments, sources, dates), count, page of rows with their
    # treatment joined: not one query per row.
    with django_assert_max_num_queries(15):
        response = admin_client_clinic.get(CHANGELIST)
    assert len(listed(response)) == 13


# Add and change forms


def test_price_add_min_above_max_refused(admin_client_clinic, microneedling):
    response = admin_client_clinic.post(
        ADD, price_form(microneedling, minimum="1500", maximum="600")
    )

    assert form_errors(response)["maximum"] == [MIN_ABOVE_MAX]
    assert MIN_ABOVE_MAX in unescape(response.content.decode())
    assert PriceRange.objects.count() == 0


def test_price_add_negative_minimum_refused(admin_client_clinic, microneedling):
    response = admin_client_clinic.post(ADD, price_form(microneedling, minimum="-100"))

    assert form_errors(response)["minimum"] == ["A price cannot be negative."]
    assert PriceRange.objects.count() == 0


@pytest.mark.parametrize("size", ["", "1"])
def test_price_add_series_without_real_size_refused(admin_client_clinic, microneedling, size):
    response = admin_client_clinic.post(
        ADD, price_form(microneedling, unit="series", series_size=size)
    )

    assert form_errors(response)["series_size"] == [SERIES_NEEDS_SIZE]
    assert PriceRange.objects.count() == 0


def test_price_add_duplicate_date_refused_without_error_page(admin_client_clinic, prices):
    session = prices["session"]

    response = admin_client_clinic.post(
        ADD,
        price_form(session.treatment, effective_from=session.effective_from.isoformat()),
    )

    assert form_errors(response)["__all__"] == [PRICE_DATE_TAKEN]
    assert PriceRange.objects.count() == 3


def test_price_add_valid_range_saved(admin_client_clinic, microneedling):
    response = admin_client_clinic.post(
        ADD,
        price_form(microneedling, unit="series", series_size="3", minimum="2000", maximum="4000"),
    )

    assert response.status_code == 302
    price = PriceRange.objects.get()
    assert (price.unit, price.series_size, price.minimum) == ("series", 3, Decimal("2000"))
    assert price.effective_from == date(2026, 1, 1)


def test_price_edit_saved_and_shown_in_history(admin_client_clinic, clinic_admin, prices):
    price = prices["session"]

    response = admin_client_clinic.post(
        change_url(price), price_form(price.treatment, minimum="650", source="regen-2026")
    )

    assert response.status_code == 302
    price.refresh_from_db()
    assert price.minimum == Decimal("650")

    history = admin_client_clinic.get(reverse("admin:clinic_pricerange_history", args=[price.pk]))
    assert history.status_code == 200
    latest = price.history.first()
    assert latest.history_user == clinic_admin
    assert latest.history_type == "~"
    html = history.content.decode()
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.DOTALL).group(1)
    newest_row = tbody.split("</tr>")[0]
    assert "Changed" in newest_row
    assert clinic_admin.username in newest_row
    assert re.search(r"600\.00\s*&nbsp;&rarr;&nbsp;&nbsp;650\.00", newest_row)


def test_price_edit_invalid_keeps_old_values(admin_client_clinic, prices):
    price = prices["session"]

    response = admin_client_clinic.post(
        change_url(price), price_form(price.treatment, minimum="2000", maximum="1000")
    )

    assert form_errors(response)["maximum"] == [MIN_ABOVE_MAX]
    price.refresh_from_db()
    assert (price.minimum, price.maximum) == (Decimal("600"), Decimal("1500"))
    assert price.history.count() == 1


# The treatment form with its price inline


def treatment_form(treatment, *inline_rows):
    data = {
        "name": treatment.name,
        "slug": treatment.slug,
        "kind": treatment.kind,
        "description": treatment.description,
        "active": "on" if treatment.active else "",
        "route": treatment.route,
        "regulatory_status": treatment.regulatory_status,
        "exosome_source": treatment.exosome_source,
        "downtime_min_hours": treatment.downtime_min_hours or "",
        "downtime_max_hours": treatment.downtime_max_hours or "",
        "downtime_source": treatment.downtime_source,
        "sessions_min": treatment.sessions_min or "",
        "sessions_max": treatment.sessions_max or "",
        "sessions_source": treatment.sessions_source,
        "interval_count": treatment.interval_count or "",
        "interval_unit": treatment.interval_unit,
        "interval_source": treatment.interval_source,
        "results_develop_weeks_min": treatment.results_develop_weeks_min or "",
        "results_develop_weeks_max": treatment.results_develop_weeks_max or "",
        "results_develop_source": treatment.results_develop_source,
        "price_ranges-TOTAL_FORMS": str(len(inline_rows)),
        "price_ranges-INITIAL_FORMS": "0",
        "price_ranges-MIN_NUM_FORMS": "0",
        "price_ranges-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(inline_rows):
        for key, value in row.items():
            data[f"price_ranges-{i}-{key}"] = value
    return data


def inline_price(**overrides):
    row = {
        "unit": "session",
        "series_size": "",
        "minimum": "600",
        "maximum": "1500",
        "currency": "USD",
        "effective_from": "2026-01-01",
        "source": "clinic",
    }
    return {**row, **overrides}


def test_treatment_inline_price_min_above_max_refused(admin_client_clinic, microneedling):
    url = reverse("admin:clinic_treatmenttype_change", args=[microneedling.pk])

    response = admin_client_clinic.post(
        url, treatment_form(microneedling, inline_price(minimum="1500", maximum="600"))
    )

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[0]["maximum"] == [MIN_ABOVE_MAX]
    assert PriceRange.objects.count() == 0


def test_treatment_inline_price_added(admin_client_clinic, microneedling):
    url = reverse("admin:clinic_treatmenttype_change", args=[microneedling.pk])

    response = admin_client_clinic.post(
        url, treatment_form(microneedling, inline_price(minimum="700", maximum="1200"))
    )

    assert response.status_code == 302
    price = PriceRange.objects.get()
    assert (price.treatment, price.minimum, price.maximum) == (
        microneedling,
        Decimal("700"),
        Decimal("1200"),
    )


def test_treatment_admin_downtime_min_above_max_refused(admin_client_clinic, microneedling):
    url = reverse("admin:clinic_treatmenttype_change", args=[microneedling.pk])
    data = treatment_form(microneedling)
    data.update(downtime_min_hours="72", downtime_max_hours="24")

    response = admin_client_clinic.post(url, data)

    assert form_errors(response)["downtime_min_hours"] == [MIN_ABOVE_MAX]
    microneedling.refresh_from_db()
    assert (microneedling.downtime_min_hours, microneedling.downtime_max_hours) == (24, 48)


# Who may get in


@pytest.mark.parametrize("role_client", ["desk_client", "clinician_client"])
def test_price_admin_non_staff_redirected_to_admin_login(request, role_client, prices):
    client = request.getfixturevalue(role_client)

    for url in (CHANGELIST, change_url(prices["session"]), ADD):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login") + "?next="), url


def test_price_admin_anonymous_redirected_to_login(client, prices):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    # The site-wide login page; after logging in, `next` brings the admin back here.
    assert response.url == f"{reverse('login')}?next={CHANGELIST}"


def test_price_admin_staff_without_role_refused(client, prices):
    client.force_login(UserFactory(username="staffnorole", is_staff=True))
    price = prices["session"]

    # Staff status alone does not open the admin: only clinic admins use it.
    assert client.get(CHANGELIST).status_code == 302
    assert client.get(change_url(price)).status_code == 302
    response = client.post(change_url(price), price_form(price.treatment, minimum="1"))
    assert response.status_code == 302
    price.refresh_from_db()
    assert price.minimum == Decimal("600")
