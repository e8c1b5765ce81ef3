"""How catalog figures read on screen and paper; a blank figure reads "not documented"."""

from decimal import Decimal

from django import template

from planner.estimates import format_money_range

register = template.Library()

NOT_DOCUMENTED = "not documented"


def _dash_range(low, high, unit: str) -> str:
    if low is None or high is None:
        return NOT_DOCUMENTED
    if low == high:
        return f"{low} {unit}"
    return f"{low}–{high} {unit}"


@register.filter
def downtime(treatment) -> str:
    low, high = treatment.downtime_min_hours, treatment.downtime_max_hours
    if low is None or high is None:
        return NOT_DOCUMENTED
    # Several days read better as days ("3–7 days"); a day or two stays in hours ("24–48 hours").
    if high >= 72 and low % 24 == 0 and high % 24 == 0:
        return _dash_range(low // 24, high // 24, "days")
    return _dash_range(low, high, "hours")


@register.filter
def typical_sessions(treatment) -> str:
    return _dash_range(treatment.sessions_min, treatment.sessions_max, "sessions")


@register.filter
def interval(treatment) -> str:
    if treatment.interval_count is None:
        return NOT_DOCUMENTED
    unit = treatment.get_interval_unit_display()
    if treatment.interval_count == 1:
        unit = unit.removesuffix("s")
        return f"every {unit}"
    return f"every {treatment.interval_count} {unit}"


@register.filter
def results_window(treatment) -> str:
    text = _dash_range(treatment.results_weeks_min, treatment.results_weeks_max, "weeks")
    return text if text == NOT_DOCUMENTED else f"{text} after a session"


@register.simple_tag
def money_range(low: Decimal, high: Decimal, currency: str) -> str:
    return format_money_range(low, high, currency)
