"""/catalog/: what staff tell a patient who asks "how much, and how long will I be red?"."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import PriceRange, TreatmentType
from tests.factories.clinic import PriceRangeFactory, TreatmentTypeFactory

pytestmark = pytest.mark.django_db

CATALOG = reverse("catalog")
MICRONEEDLING = "Microneedling + topical exosome"
LASER = "Fractional laser + topical exosome"
INJECTABLE = "Injectable MSC exosome (investigational)"
# Session, user, the user's permissions (one query: clinic.auth_backend), treatments, prices,
# the study findings and opinions (EvidenceNote).
CATALOG_QUERY_BOUND = 6
INVESTIGATIONAL_BADGE = "Investigational · IND or clinical trial required · not FDA-approved"


def page_text(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def cards(response) -> dict[str, str]:
    """Each treatment's card, by the treatment's name, with tags stripped to plain text."""
    html = page_text(response)
    found = {}
    for article in re.findall(r"<article.*?</article>", html, re.DOTALL):
        name = re.search(r"<h2[^>]*>(.*?)</h2>", article, re.DOTALL).group(1).strip()
        found[name] = " ".join(re.sub(r"<[^>]+>", " ", article).split())
    return found


def fact(card: str, label: str, next_label: str) -> str:
    return card.split(f" {label} ", 1)[1].split(f" {next_label} ", 1)[0]


@pytest.fixture
def seeded_cards(catalog, desk_client):
    return cards(desk_client.get(CATALOG))


def test_catalog_lists_each_active_treatment(seeded_cards):
    assert sorted(seeded_cards) == sorted([MICRONEEDLING, LASER, INJECTABLE])


def test_catalog_microneedling_prices_formatted(seeded_cards):
    price = fact(seeded_cards[MICRONEEDLING], "Price", "Downtime")
    assert (
        "Per session: USD 600–1,500 (typical US range published in regen-2026, from 1 Jan 2026)"
    ) in price
    assert (
        "Series of 3 sessions: USD 2,000–4,000 (typical US range published in regen-2026, "
        "from 1 Jan 2026)"
    ) in price
    # Per session first, then the series.
    assert price.index("Per session") < price.index("Series of 3")


def test_catalog_injectable_price_formatted(seeded_cards):
    price = fact(seeded_cards[INJECTABLE], "Price", "Downtime")
    assert price == (
        "Per session: USD 3,000–6,000 (typical US range published in regen-2026, from 1 Jan 2026)"
    )


def test_catalog_laser_price_not_documented(seeded_cards):
    assert fact(seeded_cards[LASER], "Price", "Downtime") == "not documented"


def test_catalog_downtime_in_hours_or_days(seeded_cards):
    assert fact(seeded_cards[MICRONEEDLING], "Downtime", "Typical series") == (
        "24–48 hours (regen-2026)"
    )
    assert fact(seeded_cards[LASER], "Downtime", "Typical series") == "3–7 days (regen-2026)"


def test_catalog_injectable_downtime_not_documented(seeded_cards):
    assert fact(seeded_cards[INJECTABLE], "Downtime", "Typical series") == "not documented"


def test_catalog_series_interval_and_results(seeded_cards):
    card = seeded_cards[MICRONEEDLING]
    assert fact(card, "Typical series", "Interval") == "2–3 sessions (regen-2026)"
    assert fact(card, "Interval", "Results keep") == "every calendar month (regen-2026)"
    assert fact(card, "Results keep developing for", "Route") == (
        "about 4–6 weeks after each session (regen-2026)"
    )
    assert fact(seeded_cards[LASER], "Interval", "Results keep") == "not documented"


def test_catalog_investigational_badge_only_on_injectable(seeded_cards):
    assert INVESTIGATIONAL_BADGE in seeded_cards[INJECTABLE]
    assert INVESTIGATIONAL_BADGE not in seeded_cards[MICRONEEDLING]
    assert INVESTIGATIONAL_BADGE not in seeded_cards[LASER]
    assert "Cosmetic, topical use" in seeded_cards[MICRONEEDLING]


def test_catalog_inactive_treatment_hidden(catalog, desk_client):
    TreatmentType.objects.filter(name=LASER).update(active=False)

    assert sorted(cards(desk_client.get(CATALOG))) == sorted([MICRONEEDLING, INJECTABLE])


def test_catalog_newer_price_replaces_superseded_one(desk_client):
    treatment = TreatmentTypeFactory(name=MICRONEEDLING)
    today = timezone.localdate()
    PriceRangeFactory(treatment=treatment, effective_from=today - timedelta(days=300))
    PriceRangeFactory(
        treatment=treatment,
        effective_from=today - timedelta(days=10),
        minimum=Decimal("750"),
        maximum=Decimal("1600"),
        source="clinic",
    )

    price = fact(cards(desk_client.get(CATALOG))[MICRONEEDLING], "Price", "Downtime")

    assert "USD 750–1,600 (the clinic’s price" in price
    assert "1,500" not in price


def test_catalog_future_price_not_shown_yet(desk_client):
    treatment = TreatmentTypeFactory(name=MICRONEEDLING)
    today = timezone.localdate()
    PriceRangeFactory(treatment=treatment, effective_from=today)
    PriceRangeFactory(
        treatment=treatment,
        effective_from=today + timedelta(days=1),
        minimum=Decimal("750"),
        maximum=Decimal("1600"),
    )

    price = fact(cards(desk_client.get(CATALOG))[MICRONEEDLING], "Price", "Downtime")

    assert "USD 600–1,500" in price
    assert "1,600" not in price


def test_catalog_escapes_admin_entered_text(desk_client):
    TreatmentTypeFactory(name="<b>Peel</b>", description="<script>alert(1)</script>")

    html = desk_client.get(CATALOG).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Peel&lt;/b&gt;" in html


def test_catalog_empty_says_how_to_load(desk_client):
    assert "manage.py load_catalog" in page_text(desk_client.get(CATALOG))


# Access


@pytest.mark.parametrize("role_client", ["desk_client", "clinician_client", "admin_client_clinic"])
def test_catalog_every_role_may_read(request, role_client, catalog):
    response = request.getfixturevalue(role_client).get(CATALOG)

    assert response.status_code == 200


def test_catalog_no_role_forbidden(client, no_role_user, catalog):
    client.force_login(no_role_user)

    response = client.get(CATALOG)

    assert response.status_code == 403
    assert MICRONEEDLING not in response.content.decode()


def test_catalog_anonymous_redirected_to_login(client):
    response = client.get(CATALOG)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={CATALOG}"


def test_catalog_post_not_allowed(desk_client):
    assert desk_client.post(CATALOG).status_code == 405


def test_home_links_to_catalog(desk_client):
    response = desk_client.get(reverse("home"))

    assert response.status_code == 200
    assert f'href="{CATALOG}"' in response.content.decode()


def test_home_without_role_has_no_catalog_link(client, no_role_user):
    client.force_login(no_role_user)

    html = client.get(reverse("home")).content.decode()

    assert "Your account has no clinic role yet" in html
    assert 'class="tile" href="/catalog/"' not in html


# Query count


def add_priced_treatments(count):
    for _ in range(count):
        treatment = TreatmentTypeFactory()
        PriceRangeFactory(treatment=treatment)
        PriceRangeFactory(treatment=treatment, series_of_3=True)


def test_catalog_query_count_independent_of_size(
    desk_client, django_assert_max_num_queries, django_assert_num_queries
):
    add_priced_treatments(3)
    desk_client.get(CATALOG)  # warm up: session refresh and the like
    with django_assert_max_num_queries(CATALOG_QUERY_BOUND) as small:
        assert desk_client.get(CATALOG).status_code == 200

    add_priced_treatments(7)
    with django_assert_num_queries(len(small)):
        assert desk_client.get(CATALOG).status_code == 200

    assert len(cards(desk_client.get(CATALOG))) == 10
    assert PriceRange.objects.count() == 20


def test_catalog_query_count_bounded(desk_client, django_assert_max_num_queries):
    add_priced_treatments(10)
    desk_client.get(CATALOG)

    with django_assert_max_num_queries(CATALOG_QUERY_BOUND):
        desk_client.get(CATALOG)
