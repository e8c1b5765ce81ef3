"""Sensible bounds for free text, dates and readings that staff type: a clear message instead
of a year-0001 date, a 10-degree-below-absolute-zero reading or a notes field of a megabyte.
Pure functions: they return the message for a value out of bounds, or None."""

from datetime import date
from decimal import Decimal

from clinic.formatting import format_date

NOTES_MAX_LENGTH = 4000
NOTES_TOO_LONG = "Keep notes to {limit:,} characters or fewer (this has {length:,})."
EARLIEST_RECORD = date(2000, 1, 1)
DATE_OUT_OF_RANGE = "Enter a date between {earliest} and {latest}."
READING_OUT_OF_RANGE = "Enter a temperature between {low} °C and {high} °C."
# A cold chain runs from deep-freeze storage (−80 °C) to a warm room; anything outside this
# is a typing error, not a reading.
READING_LOW, READING_HIGH = Decimal("-100"), Decimal("60")


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def notes_problem(text: str | None, *, limit: int = NOTES_MAX_LENGTH) -> str | None:
    if text and len(text) > limit:
        return NOTES_TOO_LONG.format(limit=limit, length=len(text))
    return None


def date_problem(value: date | None, *, earliest: date, latest: date) -> str | None:
    if value is not None and not earliest <= value <= latest:
        return DATE_OUT_OF_RANGE.format(earliest=format_date(earliest), latest=format_date(latest))
    return None


def reading_problem(celsius: Decimal | None) -> str | None:
    if celsius is not None and not READING_LOW <= celsius <= READING_HIGH:
        return READING_OUT_OF_RANGE.format(low=READING_LOW, high=READING_HIGH)
    return None
