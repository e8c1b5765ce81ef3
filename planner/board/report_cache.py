"""The reports page's figures, counted at most once every REPORTS_CACHE_SECONDS for a given
period and day, and kept in Django's shared cache (the database cache: every app server reads
the same entry, so a clinic chain counts once, not once per server).

Why: the reports aggregate over every plan and session, so their time grows with the clinic's
history (about 8x the floor view on the bench's small database, 20x on the large one), while
the figures move slowly and nobody needs them to the second. The page says truthfully when
its figures were counted and how often they are refreshed; a CSV downloaded from the page
carries the same figures as the page (the cached ones while they are fresh)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from clinic.formatting import format_clock, format_date, plural
from planner.board.report_tables import BUILDERS, Report

# Bump when the cached Report's shape changes: an older server's entries are then ignored.
KEY_VERSION = 1


@dataclass(frozen=True)
class Figures:
    reports: dict[str, Report]  # slug -> report, in BUILDERS' order
    counted_at: datetime


def clock() -> datetime:
    """Now (the tests move it past the lifetime)."""
    return timezone.now()


def lifetime() -> timedelta:
    return timedelta(seconds=settings.REPORTS_CACHE_SECONDS)


def cache_key(*, today: date, months: int) -> str:
    return f"reports:v{KEY_VERSION}:{today.isoformat()}:{months}"


def _fresh(*, today: date, months: int) -> Figures | None:
    if not settings.REPORTS_CACHE_SECONDS:
        return None
    figures = cache.get(cache_key(today=today, months=months))
    # Our own check as well as the cache's timeout: an entry is never shown older than the
    # page says, whatever the backend's clock or eviction does.
    if figures is None or clock() - figures.counted_at >= lifetime():
        return None
    return figures


def count_figures(*, today: date, months: int) -> Figures:
    """Every report, counted now."""
    counted_at = clock()
    reports = {slug: build(today=today, months=months) for slug, build in BUILDERS.items()}
    return Figures(reports=reports, counted_at=counted_at)


def report_figures(*, today: date, months: int) -> Figures:
    """The page's figures: the cached ones while fresh, otherwise counted now and cached."""
    figures = _fresh(today=today, months=months)
    if figures is None:
        figures = count_figures(today=today, months=months)
        if settings.REPORTS_CACHE_SECONDS:
            cache.set(
                cache_key(today=today, months=months),
                figures,
                timeout=settings.REPORTS_CACHE_SECONDS,
            )
    return figures


def one_report(slug: str, *, today: date, months: int) -> Report:
    """One report for its CSV: the page's cached figures while fresh (so the download matches
    the page), otherwise that report alone, counted now (not cached: it is one of six)."""
    figures = _fresh(today=today, months=months)
    if figures is not None:
        return figures.reports[slug]
    return BUILDERS[slug](today=today, months=months)


def as_of(figures: Figures) -> str:
    """'Figures as of 14:05 on 29 Nov 2026, refreshed every 10 minutes.' (local time)."""
    local = timezone.localtime(figures.counted_at)
    counted = f"{format_clock(local.time())} on {format_date(local.date())}"
    seconds = settings.REPORTS_CACHE_SECONDS
    if not seconds:
        return f"Figures as of {counted}."
    every = plural(seconds, "second") if seconds % 60 else plural(seconds // 60, "minute")
    return f"Figures as of {counted}, refreshed every {every}."
