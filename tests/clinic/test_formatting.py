"""clinic.formatting: how every figure reads, on screen and on paper."""

import locale
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.formatting import (
    DAYS_FROM_HOURS,
    NOT_DOCUMENTED,
    PRICE_NOT_SET,
    format_celsius,
    format_celsius_range,
    format_count_range,
    format_date,
    format_date_range,
    format_date_time,
    format_hours,
    format_hours_range,
    format_interval,
    format_money,
    format_money_range,
)

# Dates -------------------------------------------------------------------------------------


def test_format_date_uses_english_abbreviations():
    assert format_date(date(2027, 3, 12)) == "12 Mar 2027"
    assert format_date(date(2027, 4, 8)) == "8 Apr 2027"  # no leading zero


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)))
def test_format_date_time_reads_as_the_date_filter_did(moment):
    """The patient list's "last updated" column moved from `|date:"j M Y, H:i"` to this."""
    from django.utils import dateformat

    assert format_date_time(moment) == dateformat.format(moment, "j M Y, H:i")


def test_format_date_ignores_the_server_locale():
    previous = locale.setlocale(locale.LC_TIME)
    for name in ("de_DE.UTF-8", "fr_FR.UTF-8"):
        try:
            locale.setlocale(locale.LC_TIME, name)
        except locale.Error:
            continue
        try:
            assert format_date(date(2027, 5, 3)) == "3 May 2027"
        finally:
            locale.setlocale(locale.LC_TIME, previous)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2027, 3, 12), date(2027, 3, 12), "12 Mar 2027"),
        (date(2027, 3, 11), date(2027, 3, 12), "11–12 Mar 2027"),
        (date(2027, 3, 30), date(2027, 4, 2), "30 Mar – 2 Apr 2027"),
        (date(2027, 12, 30), date(2028, 1, 3), "30 Dec 2027 – 3 Jan 2028"),
        (None, date(2027, 3, 12), "up to 12 Mar 2027"),
        (date(2027, 3, 12), None, "from 12 Mar 2027"),
        (None, None, NOT_DOCUMENTED),
    ],
)
def test_format_date_range(first, last, expected):
    assert format_date_range(first, last) == expected


# Hours or days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (0, "0 hours"),
        (1, "1 hour"),
        (18, "18 hours"),
        (24, "24 hours"),
        (36, "36 hours"),
        (48, "48 hours"),
        (72, "3 days"),
        (100, "100 hours"),
        (168, "7 days"),
    ],
)
def test_format_hours(hours, expected):
    assert format_hours(hours) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (24, 48, "24–48 hours"),  # microneedling, as regen-2026 states it
        (72, 168, "3–7 days"),  # fractional laser, as regen-2026 states it
        (48, 96, "2–4 days"),  # the figure /catalog/ and the summary used to disagree on
        (12, 80, "12–80 hours"),  # 80 hours is not a whole number of days
        (48, 48, "48 hours"),
        (96, 96, "4 days"),
        (None, None, NOT_DOCUMENTED),
        (None, 48, "up to 48 hours"),
        (24, None, "at least 24 hours"),
        (None, 168, "up to 7 days"),
    ],
)
def test_format_hours_range(low, high, expected):
    assert format_hours_range(low, high) == expected


def test_format_hours_rejects_negative_and_reversed_figures():
    with pytest.raises(ValueError):
        format_hours(-1)
    with pytest.raises(ValueError):
        format_hours_range(48, 24)


hours = st.integers(min_value=0, max_value=24 * 400)


@given(hours, hours)
def test_a_range_reads_in_one_unit_chosen_by_one_rule(a, b):
    low, high = min(a, b), max(a, b)
    text = format_hours_range(low, high)
    in_days = high >= DAYS_FROM_HOURS and low % 24 == 0 and high % 24 == 0
    assert text.endswith(("day", "days") if in_days else ("hour", "hours"))
    # The numbers shown give back the hours they stand for.
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    factor = 24 if in_days else 1
    assert [n * factor for n in numbers] == ([low] if low == high else [low, high])


@given(hours)
def test_a_single_figure_reads_as_a_range_of_one(value):
    assert format_hours_range(value, value) == format_hours(value)


# Counts and intervals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (3, 6, "3–6 sessions"),
        (1, 1, "1 session"),
        (3, 3, "3 sessions"),
        (None, 6, "up to 6 sessions"),
        (2, None, "at least 2 sessions"),
        (None, None, NOT_DOCUMENTED),
    ],
)
def test_format_count_range(low, high, expected):
    assert format_count_range(low, high, "session") == expected


@pytest.mark.parametrize(
    ("count", "unit", "expected"),
    [
        (1, "months", "1 month"),
        (3, "months", "3 months"),
        (1, "weeks", "1 week"),
        (10, "days", "10 days"),
    ],
)
def test_format_interval(count, unit, expected):
    assert format_interval(count, unit) == expected


# Money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("2000", "USD 2,000"),
        ("2000.00", "USD 2,000"),
        ("1234.5", "USD 1,234.50"),
        ("0", "USD 0"),
        ("999.999", "USD 1,000"),
        ("1000000.05", "USD 1,000,000.05"),
    ],
)
def test_format_money(amount, expected):
    assert format_money(Decimal(amount), "USD") == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("2000", "4000", "USD 2,000–4,000"),
        ("600", "600", "USD 600"),
        ("600.00", "600", "USD 600"),
        ("1234.5", "2000", "USD 1,234.50–2,000.00"),
    ],
)
def test_format_money_range(low, high, expected):
    assert format_money_range(Decimal(low), Decimal(high), "USD") == expected


def test_money_without_a_currency_is_price_not_set_never_zero():
    assert format_money(Decimal(0), None) == PRICE_NOT_SET
    assert format_money_range(Decimal(0), Decimal(0), None) == PRICE_NOT_SET


amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)


@given(amounts, amounts)
def test_a_money_range_shows_both_ends_with_the_same_decimals(a, b):
    low, high = min(a, b), max(a, b)
    text = format_money_range(low, high, "EUR")
    assert text.startswith("EUR ")
    ends = text.removeprefix("EUR ").split("–")
    assert len(ends) in (1, 2)
    assert len({"." in end for end in ends}) == 1
    assert [Decimal(end.replace(",", "")) for end in ends][0] == low


# Temperatures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.0", "2 °C"), ("12.5", "12.5 °C"), ("-20.0", "-20 °C"), ("10", "10 °C")],
)
def test_format_celsius(value, expected):
    assert format_celsius(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("2", "8", "2 °C to 8 °C"),
        ("2", None, "at least 2 °C"),
        (None, "-20.0", "at most -20 °C"),
        (None, None, NOT_DOCUMENTED),
    ],
)
def test_format_celsius_range(low, high, expected):
    as_decimal = lambda v: None if v is None else Decimal(v)  # noqa: E731
    assert format_celsius_range(as_decimal(low), as_decimal(high)) == expected
