"""Lay out a treatment plan's sessions on the calendar and say what could go wrong.

Rules, in the order a reader will ask about them:

- A course is ``sessions`` sessions of one treatment, the first on ``first_session`` and the
  rest ``interval`` apart. Session *n* is computed from the first date, never from the session
  before it, so month intervals keep the day of the month: 31 Jan, 28 Feb, 31 Mar, 30 Apr
  (a day that does not exist in a month is clamped to that month's last day).
- Downtime after a session may last into the day ``ceil(hours / 24)`` days after the session
  date: 24-48 hours after a session on 10 Mar (at any time of day) may last into 11 Mar or
  12 Mar, which the schedule prints as "downtime until 11–12 Mar". That end date is the last
  day of possible downtime, so the window [session date, end] holds the days of downtime,
  both ends included, and the patient is clear from the day after it.
- Results keep developing for ``results_develop_weeks_min`` to ``results_develop_weeks_max``
  weeks after each session (regen-2026); after a course's last session that is "until about
  last + min weeks to last + max weeks". Nothing here says when results *show*: no source
  documents that.
- A figure the catalog does not document is ``None`` all the way through: it is never read
  as zero. Anything that would need it is reported as not checked instead.
- A plan "meets" a ready-by date when every downtime window has ended the day before it and
  every course's results have finished their documented development by it.
- Warnings are data (a kind and the dates and figures behind it), never sentences: they are
  worded in planner/wording.py, once, for staff and patient alike.
  * ``overlap``: a session falls inside the downtime of another session;
  * ``too_close``: two consecutive sessions of the same treatment are closer than the cadence
    on record for it (a documented cadence, not a minimum);
  * ``sessions_outside_typical``: a course has more (or fewer) sessions than the documented
    typical series;
  * with a ready-by date: ``session_after_ready_by``, ``downtime_after_ready_by``,
    ``results_developing_on_ready_by``, ``ready_by_unchecked`` (a figure needed for the check
    is not documented) and ``latest_start`` (the latest first-session date that would still
    meet it, given only when the plan as entered does not).
- The engine has no clock: it never compares anything with today (the wording does, so advice
  never names a date already past).
"""

import calendar
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum


class IntervalUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


@dataclass(frozen=True)
class Interval:
    count: int
    unit: IntervalUnit

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"An interval needs a count of at least 1, not {self.count}.")
        # Accept the plain strings a database column holds ("weeks") as well as the enum.
        object.__setattr__(self, "unit", IntervalUnit(self.unit))


@dataclass(frozen=True)
class CourseInput:
    key: str
    treatment_name: str
    sessions: int
    interval: Interval
    first_session: date
    downtime_min_hours: int | None
    downtime_max_hours: int | None
    results_develop_weeks_min: int | None
    results_develop_weeks_max: int | None
    catalog_interval: Interval | None
    typical_sessions_min: int | None = None
    typical_sessions_max: int | None = None

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise ValueError(f"A course needs at least 1 session, not {self.sessions}.")
        _check_range("downtime hours", self.downtime_min_hours, self.downtime_max_hours)
        _check_range(
            "results weeks", self.results_develop_weeks_min, self.results_develop_weeks_max
        )


@dataclass(frozen=True)
class ScheduledSession:
    course_key: str
    treatment_name: str
    number: int
    session_date: date
    downtime_until_min: date | None
    downtime_until_max: date | None


@dataclass(frozen=True)
class ResultsWindow:
    """After the last session of a course, results keep developing until about
    ``developing_until_min`` to ``developing_until_max`` (None: not documented)."""

    course_key: str
    treatment_name: str
    after_session_date: date
    weeks_min: int | None
    weeks_max: int | None
    developing_until_min: date | None
    developing_until_max: date | None


@dataclass(frozen=True)
class PlanWarning:
    """What could go wrong, as data; planner/wording.py words it.

    ``session`` is the session the warning is about and ``other`` the one it clashes with;
    the remaining fields carry the figures the kind needs (see the module docstring)."""

    kind: str
    course_key: str | None
    treatment_name: str = ""
    session: ScheduledSession | None = None
    other: ScheduledSession | None = None
    ready_by: date | None = None
    interval: Interval | None = None
    results: ResultsWindow | None = None
    latest_start: date | None = None
    missing: str = ""  # ready_by_unchecked: "downtime" or "results"
    sessions: int | None = None
    typical_min: int | None = None
    typical_max: int | None = None


@dataclass(frozen=True)
class DowntimeTotal:
    """Downtime summed over every session of a plan.

    A session whose downtime range is not fully documented is left out of both sums and
    counted in ``undocumented_sessions``, so an unknown is never shown as zero hours."""

    min_hours: int
    max_hours: int
    undocumented_sessions: int

    @property
    def complete(self) -> bool:
        return self.undocumented_sessions == 0


@dataclass(frozen=True)
class Schedule:
    sessions: tuple[ScheduledSession, ...]
    results: tuple[ResultsWindow, ...]
    warnings: tuple[PlanWarning, ...]
    first_date: date | None
    last_date: date | None
    latest_start_for_ready_by: date | None
    downtime_total: DowntimeTotal


def _check_range(what: str, low: int | None, high: int | None) -> None:
    # Either end may be undocumented on its own, mirroring the catalog's nullable columns.
    for value in (low, high):
        if value is not None and value < 0:
            raise ValueError(f"The {what} cannot be negative, not {value}.")
    if low is not None and high is not None and low > high:
        raise ValueError(f"The minimum {what} ({low}) is more than the maximum ({high}).")


# Dates -------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def nth_session_date(first: date, interval: Interval, index: int) -> date:
    """The date of session ``index`` (0 is the first) of a course starting on ``first``."""
    if index < 0:
        raise ValueError(f"A session index cannot be negative, not {index}.")
    steps = interval.count * index
    if interval.unit == IntervalUnit.DAYS:
        return first + timedelta(days=steps)
    if interval.unit == IntervalUnit.WEEKS:
        return first + timedelta(weeks=steps)
    # Counted from the first date, not from the previous session, so a clamped February
    # does not drag every later session back to the 28th.
    return _add_months(first, steps)


def _days_after(day: date, hours: int | None) -> date | None:
    if hours is None:
        return None
    return day + timedelta(days=math.ceil(hours / 24))


def _weeks_after(day: date, weeks: int | None) -> date | None:
    if weeks is None:
        return None
    return day + timedelta(weeks=weeks)


# Laying out --------------------------------------------------------------------------------


def _scheduled(course: CourseInput, number: int, session_date: date) -> ScheduledSession:
    return ScheduledSession(
        course_key=course.key,
        treatment_name=course.treatment_name,
        number=number,
        session_date=session_date,
        downtime_until_min=_days_after(session_date, course.downtime_min_hours),
        downtime_until_max=_days_after(session_date, course.downtime_max_hours),
    )


def _course_sessions(course: CourseInput) -> list[ScheduledSession]:
    sessions = []
    for index in range(course.sessions):
        session_date = nth_session_date(course.first_session, course.interval, index)
        sessions.append(
            ScheduledSession(
                course_key=course.key,
                treatment_name=course.treatment_name,
                number=index + 1,
                session_date=session_date,
                downtime_until_min=_days_after(session_date, course.downtime_min_hours),
                downtime_until_max=_days_after(session_date, course.downtime_max_hours),
            )
        )
    return sessions


def _results_window(course: CourseInput, last: date | None = None) -> ResultsWindow:
    if last is None:
        last = nth_session_date(course.first_session, course.interval, course.sessions - 1)
    return ResultsWindow(
        course_key=course.key,
        treatment_name=course.treatment_name,
        after_session_date=last,
        weeks_min=course.results_develop_weeks_min,
        weeks_max=course.results_develop_weeks_max,
        developing_until_min=_weeks_after(last, course.results_develop_weeks_min),
        developing_until_max=_weeks_after(last, course.results_develop_weeks_max),
    )


def shift_courses(courses: Sequence[CourseInput], days: int) -> tuple[CourseInput, ...]:
    """Move every course's first session by ``days``, keeping the courses' relative offsets."""
    return tuple(
        replace(course, first_session=course.first_session + timedelta(days=days))
        for course in courses
    )


def total_downtime(courses: Sequence[CourseInput]) -> DowntimeTotal:
    min_hours = max_hours = undocumented = 0
    for course in courses:
        if course.downtime_min_hours is None or course.downtime_max_hours is None:
            undocumented += course.sessions
        else:
            min_hours += course.sessions * course.downtime_min_hours
            max_hours += course.sessions * course.downtime_max_hours
    return DowntimeTotal(
        min_hours=min_hours, max_hours=max_hours, undocumented_sessions=undocumented
    )


def _meets_ready_by(courses: Sequence[CourseInput], ready_by: date) -> bool:
    """Every downtime over before ``ready_by`` and every course's results done developing by it.

    Only meaningful when every course documents its maximum downtime and results window."""
    for course in courses:
        results = _results_window(course)
        if results.developing_until_max is None or results.developing_until_max > ready_by:
            return False
        for session in _course_sessions(course):
            if session.downtime_until_max is None or _downtime_reaches(session, ready_by):
                return False
    return True


def _downtime_reaches(session: ScheduledSession, day: date) -> bool:
    """Whether ``day`` may still be a downtime day after ``session`` (the last day of possible
    downtime included). Undocumented downtime is never assumed; zero hours is no downtime."""
    until = session.downtime_until_max
    return until is not None and until > session.session_date and until >= day


def _largest_passing_shift(passes: Callable[[int], bool], upper: int, span: int) -> int:
    """The largest shift <= ``upper`` for which ``passes`` holds, given it is monotone
    (true up to some shift, false after it) and holds for shifts far enough below ``upper``."""
    if passes(upper):
        return upper
    # Find a passing lower bound first. The plan's span is nearly always enough; doubling
    # covers calendar-month clamping that can make a shifted plan a few days longer.
    step = span + 1
    while not passes(upper - step):
        step *= 2
    low, high = upper - step, upper  # passes(low) and not passes(high)
    while high - low > 1:
        middle = (low + high) // 2
        if passes(middle):
            low = middle
        else:
            high = middle
    return low


def _latest_start(
    courses: Sequence[CourseInput], sessions: Sequence[ScheduledSession], ready_by: date
) -> date | None:
    documented = all(
        course.downtime_max_hours is not None and course.results_develop_weeks_max is not None
        for course in courses
    )
    if not courses or not documented:
        return None
    first_date = sessions[0].session_date
    last_needed = max(
        [session.downtime_until_max for session in sessions]
        + [_results_window(course).developing_until_max for course in courses]
    )
    # A first session after ready_by can never pass: its own downtime ends on or after it.
    upper = (ready_by - first_date).days
    span = (last_needed - first_date).days
    try:
        shift = _largest_passing_shift(
            lambda days: _meets_ready_by(shift_courses(courses, days), ready_by), upper, span
        )
    except (OverflowError, ValueError):
        # The answer would fall outside the calendar Python can represent.
        return None
    return first_date + timedelta(days=shift)


# Warnings ----------------------------------------------------------------------------------


def _overlap_warnings(sessions: Sequence[ScheduledSession]) -> list[PlanWarning]:
    def within_downtime(earlier: ScheduledSession, later: ScheduledSession) -> bool:
        return earlier.session_date <= later.session_date and _downtime_reaches(
            earlier, later.session_date
        )

    warnings = []
    for position, earlier in enumerate(sessions):
        for later in sessions[position + 1 :]:
            if within_downtime(earlier, later):
                healing, inside = earlier, later
            elif within_downtime(later, earlier):  # only possible on the same day
                healing, inside = later, earlier
            else:
                continue
            warnings.append(
                PlanWarning(
                    kind="overlap",
                    course_key=inside.course_key,
                    treatment_name=inside.treatment_name,
                    session=inside,
                    other=healing,
                )
            )
    return warnings


def _too_close_warnings(
    courses: Sequence[CourseInput], sessions: Sequence[ScheduledSession]
) -> list[PlanWarning]:
    # Courses of the same treatment share the catalog's cadence; take the first documented one.
    spacing: dict[str, Interval] = {}
    for course in courses:
        if course.catalog_interval is not None:
            spacing.setdefault(course.treatment_name, course.catalog_interval)
    previous_of_treatment: dict[str, ScheduledSession] = {}
    warnings = []
    for session in sessions:
        previous = previous_of_treatment.get(session.treatment_name)
        previous_of_treatment[session.treatment_name] = session
        cadence = spacing.get(session.treatment_name)
        if previous is None or cadence is None:
            continue
        if session.session_date >= nth_session_date(previous.session_date, cadence, 1):
            continue
        warnings.append(
            PlanWarning(
                kind="too_close",
                course_key=session.course_key,
                treatment_name=session.treatment_name,
                session=session,
                other=previous,
                interval=cadence,
            )
        )
    return warnings


def _typical_series_warnings(courses: Sequence[CourseInput]) -> list[PlanWarning]:
    warnings = []
    for course in courses:
        low, high = course.typical_sessions_min, course.typical_sessions_max
        if (high is not None and course.sessions > high) or (
            low is not None and course.sessions < low
        ):
            warnings.append(
                PlanWarning(
                    kind="sessions_outside_typical",
                    course_key=course.key,
                    treatment_name=course.treatment_name,
                    sessions=course.sessions,
                    typical_min=low,
                    typical_max=high,
                )
            )
    return warnings


def _ready_by_warnings(
    course: CourseInput,
    sessions: Sequence[ScheduledSession],
    results: ResultsWindow,
    ready_by: date,
) -> list[PlanWarning]:
    warnings = []

    def warn(kind: str, **data) -> None:
        warnings.append(
            PlanWarning(
                kind=kind,
                course_key=course.key,
                treatment_name=course.treatment_name,
                ready_by=ready_by,
                **data,
            )
        )

    for session in sessions:
        if session.session_date > ready_by:
            warn("session_after_ready_by", session=session)
        elif _downtime_reaches(session, ready_by):
            # The last day of possible downtime counts as downtime: an event on it is flagged,
            # as the schedule's "downtime until" column reads. A session already after
            # ready_by says enough; its downtime is not repeated.
            warn("downtime_after_ready_by", session=session)
    if course.downtime_max_hours is None:
        warn("ready_by_unchecked", missing="downtime")
    if results.developing_until_max is None:
        warn("ready_by_unchecked", missing="results", results=results)
    elif results.developing_until_max > ready_by and results.after_session_date <= ready_by:
        warn("results_developing_on_ready_by", results=results)
    return warnings


# Entry point -------------------------------------------------------------------------------


def build_schedule(courses: Sequence[CourseInput], *, ready_by: date | None = None) -> Schedule:
    """Every session of every course in date order, the results windows and the warnings."""
    keys = [course.key for course in courses]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Course keys must be unique: {keys}.")
    position_of = {course.key: position for position, course in enumerate(courses)}
    sessions = sorted(
        (session for course in courses for session in _course_sessions(course)),
        key=lambda s: (s.session_date, position_of[s.course_key], s.number),
    )
    results = tuple(_results_window(course) for course in courses)

    warnings = (
        _overlap_warnings(sessions)
        + _too_close_warnings(courses, sessions)
        + _typical_series_warnings(courses)
    )
    latest_start = None
    if ready_by is not None:
        for course, course_results in zip(courses, results, strict=True):
            course_sessions = [s for s in sessions if s.course_key == course.key]
            warnings += _ready_by_warnings(course, course_sessions, course_results, ready_by)
        latest_start = _latest_start(courses, sessions, ready_by)
        if latest_start is not None and latest_start < sessions[0].session_date:
            warnings.append(
                PlanWarning(
                    kind="latest_start",
                    course_key=None,
                    ready_by=ready_by,
                    latest_start=latest_start,
                    session=sessions[0],
                )
            )

    return Schedule(
        sessions=tuple(sessions),
        results=results,
        warnings=tuple(warnings),
        first_date=sessions[0].session_date if sessions else None,
        last_date=sessions[-1].session_date if sessions else None,
        latest_start_for_ready_by=latest_start,
        downtime_total=total_downtime(courses),
    )


def build_dated_schedule(
    courses: Sequence[CourseInput],
    dates: Mapping[tuple[str, int], date],
    *,
    ready_by: date | None = None,
) -> Schedule:
    """The same checks as `build_schedule`, on sessions that sit on the dates given, keyed by
    (course key, session number), instead of where the course's interval puts them: a plan
    whose sessions were rescheduled, re-flowed or performed late. A session missing from
    `dates` (cancelled, no-show) is left out. No latest start is computed: the plan is under way."""
    position_of = {course.key: position for position, course in enumerate(courses)}
    by_key = {course.key: course for course in courses}
    sessions = sorted(
        (_scheduled(by_key[key], number, day) for (key, number), day in dates.items()),
        key=lambda s: (s.session_date, position_of[s.course_key], s.number),
    )
    present = [c for c in courses if any(s.course_key == c.key for s in sessions)]
    results = tuple(
        _results_window(c, max(s.session_date for s in sessions if s.course_key == c.key))
        for c in present
    )
    warnings = _overlap_warnings(sessions) + _too_close_warnings(present, sessions)
    if ready_by is not None:
        for course, course_results in zip(present, results, strict=True):
            course_sessions = [s for s in sessions if s.course_key == course.key]
            warnings += _ready_by_warnings(course, course_sessions, course_results, ready_by)
    return Schedule(
        sessions=tuple(sessions),
        results=results,
        warnings=tuple(warnings),
        first_date=sessions[0].session_date if sessions else None,
        last_date=sessions[-1].session_date if sessions else None,
        latest_start_for_ready_by=None,
        downtime_total=total_downtime(present),
    )
