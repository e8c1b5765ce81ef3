"""How figures read, on every screen and on paper: one module for the catalog page, the plan
pages, the patient summary (HTML and PDF), the calendar file and the admin.

Plain functions over `date`, `Decimal` and `int`: no ORM, no request, no templates, and no
locale (a server set to another language still prints "8 Apr 2027"). The template filters in
clinic/templatetags/formatting.py are thin wrappers over these.

Rules:

- A blank figure reads NOT_DOCUMENTED; a missing price reads PRICE_NOT_SET. Never zero.
- Hours or days: a duration reads in days when its longest figure is at least
  DAYS_FROM_HOURS (72) hours and every figure is a whole number of days; otherwise in hours.
  So the sources' figures read as the sources state them: "24–48 hours" (microneedling),
  "3–7 days" (fractional laser), and 48–96 hours reads "2–4 days" wherever it is shown.
- Ranges use an en dash with no spaces between numbers ("24–48 hours", "USD 600–1,500") and
  a spaced en dash between dates that carry their own month ("30 Mar – 2 Apr 2027").
- Money is rounded half up to the cent; cents show only when some end of the range has them.
"""

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

NOT_DOCUMENTED = "not documented"
PRICE_NOT_SET = "price not set"
PLATELET_TOPICAL_ONLY = "Platelet-derived exosomes are for topical use only, never injection."

# From this many hours up, a duration of whole days reads in days.
DAYS_FROM_HOURS = 72

_MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_CENT = Decimal("0.01")
_SINGULAR_UNITS = {"days": "day", "weeks": "week", "months": "month"}


def plural(count: int, word: str) -> str:
    """'1 session', '3 sessions'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# Dates -------------------------------------------------------------------------------------


def format_date(day: date) -> str:
    """'8 Apr 2027', independent of the server's locale."""
    return f"{day.day} {_MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"


_WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_weekday_date(day: date) -> str:
    """'Tue 1 Dec 2026': a day in a list of the coming days."""
    return f"{_WEEKDAY_ABBREVIATIONS[day.weekday()]} {format_date(day)}"


def format_month(day: date) -> str:
    """'Apr 2027': a month on a date axis."""
    return f"{_MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"


def format_clock(moment: time) -> str:
    """'09:05': a time of day, 24-hour clock (the caller gives it in local time)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_date_time(moment: datetime) -> str:
    """'8 Apr 2027, 09:05': when a record last changed (the caller gives it in local time)."""
    return f"{format_date(moment)}, {format_clock(moment)}"


def format_day_month(day: date) -> str:
    """'8 Apr': a day on a date axis whose year is clear from the axis."""
    return f"{day.day} {_MONTH_ABBREVIATIONS[day.month - 1]}"


def format_date_range(first: date | None, last: date | None) -> str:
    """'12 Mar 2027', '11–12 Mar 2027', '30 Mar – 2 Apr 2027', '30 Dec 2027 – 3 Jan 2028';
    'up to …' or 'from …' when one end is blank."""
    if first is None and last is None:
        return NOT_DOCUMENTED
    if first is None:
        return f"up to {format_date(last)}"
    if last is None:
        return f"from {format_date(first)}"
    if first == last:
        return format_date(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{format_date(last)}"
    if first.year == last.year:
        return f"{first.day} {_MONTH_ABBREVIATIONS[first.month - 1]} – {format_date(last)}"
    return f"{format_date(first)} – {format_date(last)}"


# Durations ---------------------------------------------------------------------------------


def _in_days(*hours: int) -> bool:
    return max(hours) >= DAYS_FROM_HOURS and all(h % 24 == 0 for h in hours)


def format_hours(hours: int) -> str:
    """'24 hours', '48 hours', '3 days', '100 hours': see the hours-or-days rule above."""
    if hours < 0:
        raise ValueError(f"Hours cannot be negative, not {hours}.")
    if _in_days(hours):
        return plural(hours // 24, "day")
    return plural(hours, "hour")


def format_hours_range(low: int | None, high: int | None) -> str:
    """'24–48 hours', '2–4 days', '3–7 days'; 'up to …' or 'at least …' when one end is blank."""
    if low is None and high is None:
        return NOT_DOCUMENTED
    if low is None:
        return f"up to {format_hours(high)}"
    if high is None:
        return f"at least {format_hours(low)}"
    if low > high:
        raise ValueError(f"The minimum ({low}) is more than the maximum ({high}).")
    if low == high:
        return format_hours(low)
    if _in_days(low, high):
        return f"{low // 24}–{high // 24} days"
    return f"{low}–{high} hours"


def format_count_range(low: int | None, high: int | None, word: str) -> str:
    """'3–6 sessions', '1 session', '4–6 weeks'; 'up to …' or 'at least …' when one end is
    blank."""
    if low is None and high is None:
        return NOT_DOCUMENTED
    if low is None:
        return f"up to {plural(high, word)}"
    if high is None:
        return f"at least {plural(low, word)}"
    if low == high:
        return plural(low, word)
    return f"{low}–{high} {word}s"


def format_interval(count: int, unit: str) -> str:
    """'1 month', '4 weeks', '10 days'; `unit` is 'days', 'weeks' or 'months'."""
    return plural(count, _SINGULAR_UNITS[str(unit)])


# Money -------------------------------------------------------------------------------------


def _has_cents(amount: Decimal) -> bool:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP) % 1 != 0


def _digits(amount: Decimal, with_cents: bool) -> str:
    rounded = amount.quantize(_CENT if with_cents else Decimal(1), rounding=ROUND_HALF_UP)
    return f"{rounded:,.2f}" if with_cents else f"{rounded:,.0f}"


def format_money(amount: Decimal, currency: str | None) -> str:
    """'USD 2,000'; cents only when there are some: 'USD 1,234.50'."""
    if currency is None:
        return PRICE_NOT_SET
    return f"{currency} {_digits(amount, _has_cents(amount))}"


def format_money_range(minimum: Decimal, maximum: Decimal, currency: str | None) -> str:
    """'USD 2,000–4,000', or 'USD 600' when both ends are the same amount; PRICE_NOT_SET
    without a currency (nothing was priced)."""
    if currency is None:
        return PRICE_NOT_SET
    with_cents = _has_cents(minimum) or _has_cents(maximum)
    low, high = _digits(minimum, with_cents), _digits(maximum, with_cents)
    if low == high:
        return f"{currency} {low}"
    return f"{currency} {low}–{high}"


# Temperatures ------------------------------------------------------------------------------


def format_celsius(value: Decimal) -> str:
    """'5 °C', '12.5 °C', '-20 °C': as many decimals as the figure has, no trailing zeros."""
    return f"{Decimal(value).normalize():f} °C"


def format_celsius_range(low: Decimal | None, high: Decimal | None) -> str:
    """'2 °C to 8 °C', 'at least 2 °C', 'at most -20 °C'."""
    if low is None and high is None:
        return NOT_DOCUMENTED
    if low is None:
        return f"at most {format_celsius(high)}"
    if high is None:
        return f"at least {format_celsius(low)}"
    return f"{format_celsius(low)} to {format_celsius(high)}"


# Sentences built from figures ----------------------------------------------------------------


def format_size_range_nm(low: Decimal, high: Decimal) -> str:
    """'20–400 nm'."""
    return f"{Decimal(low).normalize():f}–{Decimal(high).normalize():f} nm"


def format_lot_warning(warning) -> str:
    """One sentence for a clinic.due_diligence.LotWarning, for staff and patient alike."""
    lot = f"Lot {warning.lot_number}"
    if warning.kind == "size":
        return (
            f"{lot} measures {format_size_range_nm(warning.size_low, warning.size_high)}, "
            "outside the 30–150 nm of exosomes: it may contain other particles."
        )
    if warning.kind == "storage":
        required = format_celsius_range(warning.required_min, warning.required_max)
        return (
            f"{lot} was stored at {format_celsius(warning.temperature)} on "
            f"{format_date(warning.checked_on)}, outside the required {required}."
        )
    if warning.kind == "expired":
        return f"{lot} expired on {format_date(warning.expires_on)}."
    if warning.kind == "expires_before_session":
        return (
            f"{lot} expires on {format_date(warning.expires_on)}, before session "
            f"{warning.session_number} on {format_date(warning.session_date)}."
        )
    raise ValueError(f"Unknown lot warning kind: {warning.kind!r}")


# A CSV cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A CSV cell as text a spreadsheet will not run: a leading =, +, -, @ (or tab, CR) is
    prefixed with an apostrophe. Every CSV download writes its cells through this."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
