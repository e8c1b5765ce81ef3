"""Filters that show engine values the way staff and patients read them."""

from django import template

from planner.estimates import format_money_range
from planner.scheduling import format_date, format_hours

register = template.Library()


@register.filter
def day(value) -> str:
    """'12 Mar 2027'; a blank date reads 'not documented'."""
    return format_date(value) if value else "not documented"


@register.filter
def hours(value) -> str:
    return format_hours(value)


@register.simple_tag
def money(low, high, currency) -> str:
    if currency is None:
        return "price not set"
    return format_money_range(low, high, currency)


@register.filter
def estimate_total(estimate) -> str:
    if estimate.currency is None:
        return "price not set"
    return format_money_range(estimate.total_min, estimate.total_max, estimate.currency)
