"""Template filters and tags over clinic.formatting: `{% load formatting %}`."""

from django import template

from clinic import formatting as fmt

register = template.Library()


@register.filter
def day(value) -> str:
    """'12 Mar 2027'; a blank date reads 'not documented'."""
    return fmt.format_date(value) if value else fmt.NOT_DOCUMENTED


@register.filter
def weekday_day(value) -> str:
    """'Tue 1 Dec 2026'."""
    return fmt.format_weekday_date(value) if value else fmt.NOT_DOCUMENTED


@register.simple_tag
def date_range(first, last) -> str:
    return fmt.format_date_range(first or None, last or None)


@register.simple_tag
def hours_range(low, high) -> str:
    return fmt.format_hours_range(low, high)


@register.simple_tag
def money_range(low, high, currency) -> str:
    return fmt.format_money_range(low, high, currency or None)


@register.filter
def money(amount, currency) -> str:
    """'USD 250' (cents only when there are some)."""
    return fmt.format_money(amount, currency or None)


@register.filter
def estimate_total(estimate) -> str:
    return fmt.format_money_range(estimate.total_min, estimate.total_max, estimate.currency)


# A catalog treatment's figures -------------------------------------------------------------


@register.filter
def downtime(treatment) -> str:
    return fmt.format_hours_range(treatment.downtime_min_hours, treatment.downtime_max_hours)


@register.filter
def typical_sessions(treatment) -> str:
    return fmt.format_count_range(treatment.sessions_min, treatment.sessions_max, "session")


@register.filter
def interval(treatment) -> str:
    if treatment.interval_count is None:
        return fmt.NOT_DOCUMENTED
    unit = treatment.get_interval_unit_display()
    if treatment.interval_count == 1:
        return f"every {unit.removesuffix('s')}"
    return f"every {treatment.interval_count} {unit}"


@register.filter
def results_develop(treatment) -> str:
    """'about 4–6 weeks after each session': how long results keep developing, never when they
    'show' (no source documents that)."""
    weeks = fmt.format_count_range(
        treatment.results_develop_weeks_min, treatment.results_develop_weeks_max, "week"
    )
    return weeks if weeks == fmt.NOT_DOCUMENTED else f"about {weeks} after each session"


@register.filter
def lot_warning(warning) -> str:
    return fmt.format_lot_warning(warning)


@register.filter
def figure_source(treatment, figure: str) -> str:
    """The source key to print beside a catalog figure ("clinic" once the clinic changed it)."""
    return treatment.figure_source(figure)


@register.simple_tag
def celsius_range(low, high) -> str:
    return fmt.format_celsius_range(low, high)


@register.filter
def plural(count, word) -> str:
    """`{{ 3|plural:"day" }}` reads '3 days', `{{ 1|plural:"day" }}` '1 day'."""
    return fmt.plural(count, word)
