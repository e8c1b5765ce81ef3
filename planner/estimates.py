"""Turn a plan's courses and the clinic's price ranges into a cost range.

Rules:

- A price is a range (minimum to maximum) for one session or for a series of N sessions.
- A course is priced with its series prices first, largest series first, as many whole series
  as fit; the sessions left over are priced per session. Four microneedling sessions with a
  series-of-3 price are one series plus one session, never four single sessions.
- Sessions nothing can price (no per-session price and too few left for a series) are reported
  as "price not set" in a sentence on the course. They are never priced at zero: the totals are
  the sum of what is priced and the estimate is flagged incomplete.
- A total is the sum of the line items' minimums to the sum of their maximums.
- Several currencies are never added together. A plan's total is in the currency of its first
  priced course; a course priced in another currency is left out of that total with a note,
  and the estimate is incomplete.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class PriceUnit(StrEnum):
    SESSION = "session"
    SERIES = "series"


@dataclass(frozen=True)
class PriceQuote:
    unit: PriceUnit
    series_size: int | None
    minimum: Decimal
    maximum: Decimal
    currency: str
    source: str
    effective_from: date
    price_range_id: int | None
    trial_pricing: str = ""  # "", "trial" or "no_charge": see clinic.models.TrialPricing

    def __post_init__(self) -> None:
        # Accept the plain strings a database column holds ("series") as well as the enum.
        object.__setattr__(self, "unit", PriceUnit(self.unit))
        if self.unit == PriceUnit.SESSION and self.series_size is not None:
            raise ValueError("A per-session price cannot have a series size.")
        if self.unit == PriceUnit.SERIES and (self.series_size is None or self.series_size < 2):
            raise ValueError(f"A series price needs a series size of 2 or more: {self}.")
        if not 0 <= self.minimum <= self.maximum:
            raise ValueError(f"A price needs 0 <= minimum <= maximum: {self}.")

    @property
    def sessions_per_unit(self) -> int:
        return self.series_size or 1


@dataclass(frozen=True)
class CoursePricing:
    course_key: str
    treatment_name: str
    sessions: int
    prices: tuple[PriceQuote, ...]

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise ValueError(f"A course needs at least 1 session, not {self.sessions}.")
        # Two ranges for the same unit would leave the choice between them to chance; the
        # caller picks the one in force (PriceRange.objects.in_force does exactly that).
        units = [(price.unit, price.series_size) for price in self.prices]
        if len(set(units)) != len(units):
            raise ValueError(f"{self.treatment_name} has two prices for the same unit.")
        if len({price.currency for price in self.prices}) > 1:
            raise ValueError(f"{self.treatment_name} is priced in more than one currency.")


@dataclass(frozen=True)
class LineItem:
    course_key: str
    treatment_name: str
    description: str
    quantity: int
    sessions_covered: int
    price: PriceQuote
    total_min: Decimal
    total_max: Decimal


@dataclass(frozen=True)
class CourseEstimate:
    course_key: str
    treatment_name: str
    sessions: int
    line_items: tuple[LineItem, ...]
    price_not_set: bool
    note: str
    total_min: Decimal
    total_max: Decimal
    currency: str | None  # None when nothing in the course is priced


@dataclass(frozen=True)
class PlanEstimate:
    courses: tuple[CourseEstimate, ...]
    total_min: Decimal
    total_max: Decimal
    currency: str | None  # None when nothing in the plan is priced
    complete: bool
    note: str  # "" or a sentence naming courses left out of the total for their currency


def _sessions_phrase(count: int) -> str:
    return "1 session is" if count == 1 else f"{count} sessions are"


NO_PRICE = "No price"
NO_SESSION_PRICE = "No per-session price"


def _unpriced_note(missing: str, treatment_name: str, sessions: int) -> str:
    return f"{missing} is set for {treatment_name}, so {_sessions_phrase(sessions)} not priced."


def unpriced_notes(courses: Sequence[CourseEstimate]) -> tuple[str, ...]:
    """What is left unpriced, one sentence a treatment: its courses lack the same price (the
    catalog prices a treatment, not a course), so their sessions are counted together rather
    than the sentence said once a course. Reads frozen quotes' courses too (their notes)."""
    by_treatment: dict[str, tuple[str, int]] = {}
    for course in courses:
        if not (course.price_not_set and course.note):
            continue
        missing = NO_SESSION_PRICE if course.note.startswith(NO_SESSION_PRICE) else NO_PRICE
        unpriced = course.sessions - sum(item.sessions_covered for item in course.line_items)
        _, counted = by_treatment.get(course.treatment_name, (missing, 0))
        by_treatment[course.treatment_name] = (missing, counted + unpriced)
    return tuple(
        _unpriced_note(missing, name, sessions)
        for name, (missing, sessions) in by_treatment.items()
    )


def _line_item(pricing: CoursePricing, price: PriceQuote, quantity: int) -> LineItem:
    if price.unit == PriceUnit.SERIES:
        what = f"series of {price.series_size} sessions"
    else:
        what = "single session"
    description = what[0].upper() + what[1:] if quantity == 1 else f"{quantity} × {what}"
    return LineItem(
        course_key=pricing.course_key,
        treatment_name=pricing.treatment_name,
        description=description,
        quantity=quantity,
        sessions_covered=quantity * price.sessions_per_unit,
        price=price,
        total_min=quantity * price.minimum,
        total_max=quantity * price.maximum,
    )


def estimate_course(pricing: CoursePricing) -> CourseEstimate:
    """Price one course: whole series first (largest first), then single sessions."""
    series_prices = sorted(
        (price for price in pricing.prices if price.unit == PriceUnit.SERIES),
        key=lambda price: price.sessions_per_unit,
        reverse=True,
    )
    session_price = next(
        (price for price in pricing.prices if price.unit == PriceUnit.SESSION), None
    )

    line_items = []
    remaining = pricing.sessions
    # Greedy, as the pricing rule states: a clinic's series are bundles meant to be used in
    # full, so a larger bundle is preferred even where two smaller ones would cover more.
    for price in series_prices:
        quantity, remaining = divmod(remaining, price.sessions_per_unit)
        if quantity:
            line_items.append(_line_item(pricing, price, quantity))
    if remaining and session_price is not None:
        line_items.append(_line_item(pricing, session_price, remaining))
        remaining = 0

    note = ""
    if remaining:
        # With some series price set, only the per-session price is missing.
        missing = NO_SESSION_PRICE if pricing.prices else NO_PRICE
        note = _unpriced_note(missing, pricing.treatment_name, remaining)
    return CourseEstimate(
        course_key=pricing.course_key,
        treatment_name=pricing.treatment_name,
        sessions=pricing.sessions,
        line_items=tuple(line_items),
        price_not_set=remaining > 0,
        note=note,
        total_min=sum((item.total_min for item in line_items), Decimal(0)),
        total_max=sum((item.total_max for item in line_items), Decimal(0)),
        currency=line_items[0].price.currency if line_items else None,
    )


def estimate_plan(courses: Sequence[CoursePricing]) -> PlanEstimate:
    """Price every course and add up what can honestly be added up."""
    estimates = tuple(estimate_course(pricing) for pricing in courses)
    currency = next((e.currency for e in estimates if e.currency is not None), None)
    in_total = [e for e in estimates if e.currency == currency]
    left_out = [e for e in estimates if e.currency not in (currency, None)]
    note = ""
    if left_out:
        names = ", ".join(f"{e.treatment_name} ({e.currency})" for e in left_out)
        note = f"Prices in another currency are not added to the {currency} total: {names}."
    return PlanEstimate(
        courses=estimates,
        total_min=sum((e.total_min for e in in_total), Decimal(0)),
        total_max=sum((e.total_max for e in in_total), Decimal(0)),
        currency=currency,
        complete=not left_out and not any(e.price_not_set for e in estimates),
        note=note,
    )
