"""How the schedule's warnings and results windows read: one place, for the plan editor, the
plan page, the patient summary (page and PDF) and the calendar.

planner/scheduling.py does the maths and hands over data (a kind, dates, figures); this
module turns that data into sentences. It is the only part that knows today's date, so advice
never names a date that has already passed.

The wording follows shared/domain.md, "How to word it": results *keep developing* for some
weeks after each session (never "show after"); a documented cadence is a cadence, not a
minimum; an investigational treatment's results are what its trial studies."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from clinic.formatting import (
    NOT_DOCUMENTED,
    format_count_range,
    format_date,
    format_date_range,
    format_hours_range,
    format_interval,
    plural,
)
from planner.scheduling import (
    DowntimeTotal,
    Interval,
    PlanWarning,
    ResultsWindow,
    ScheduledSession,
)

TRIAL_STUDIES_RESULTS = "whether and when results appear is what the trial studies"
RESULTS_VARY = "How much improvement you see varies from person to person."


@dataclass(frozen=True)
class WordedWarning:
    kind: str
    message: str
    course_key: str | None


# Results ----------------------------------------------------------------------------------


def results_develop_weeks(weeks_min: int | None, weeks_max: int | None) -> str:
    """'about 4–6 weeks after each session', or NOT_DOCUMENTED."""
    weeks = format_count_range(weeks_min, weeks_max, "week")
    if weeks == NOT_DOCUMENTED:
        return NOT_DOCUMENTED
    return f"about {weeks} after each session"


def results_sentence(window: ResultsWindow, *, investigational: bool) -> str:
    """What the patient may expect of a course's results, in the source's meaning."""
    name = window.treatment_name
    if investigational:
        # The seeded name already ends "(investigational)": say it once.
        label = name if "investigational" in name.lower() else f"{name} (investigational)"
        return f"{label}: {TRIAL_STUDIES_RESULTS}."
    last = format_date(window.after_session_date)
    if window.developing_until_max is None:
        return (
            f"{name}: how long results keep developing after a session is {NOT_DOCUMENTED} "
            f"(last session {last})."
        )
    until = format_date_range(window.developing_until_min, window.developing_until_max)
    return (
        f"{name}: results keep developing for "
        f"{results_develop_weeks(window.weeks_min, window.weeks_max)}; after the last session "
        f"on {last}, until about {until}."
    )


# Downtime ---------------------------------------------------------------------------------


def downtime_total_text(total: DowntimeTotal) -> str:
    """A plan's downtime in total: what no source documents is said so, never summed as zero
    hours (the plan page, its editor, the comparison and the patient summary)."""
    count = total.undocumented_sessions
    if count and not total.max_hours:
        which = "the session" if count == 1 else f"any of the {count} sessions"
        return f"{NOT_DOCUMENTED} for {which}"
    text = format_hours_range(total.min_hours, total.max_hours)
    if count:
        text += (
            f", plus {count} session{'' if count == 1 else 's'} whose downtime is not documented"
        )
    return text


# Warnings ---------------------------------------------------------------------------------


def _describe(session: ScheduledSession) -> str:
    return (
        f"{session.treatment_name} session {session.number} on {format_date(session.session_date)}"
    )


def cadence(interval: Interval) -> str:
    """'a monthly cadence', 'a cadence of one session every 3 weeks'."""
    if interval.count == 1:
        adjective = {"days": "daily", "weeks": "weekly", "months": "monthly"}[str(interval.unit)]
        return f"a {adjective} cadence"
    return f"a cadence of one session every {format_interval(interval.count, interval.unit)}"


def _too_close(w: PlanWarning) -> str:
    session, previous = w.session, w.other
    gap_days = (session.session_date - previous.session_date).days
    when = "on the same day as" if gap_days == 0 else f"only {plural(gap_days, 'day')} after"
    previous_name = f"session {previous.number}"
    if previous.course_key != session.course_key:
        previous_name += f" of another {previous.treatment_name} course"
    return (
        f"{_describe(session)} is {when} {previous_name} on "
        f"{format_date(previous.session_date)}; {cadence(w.interval)} is documented for this "
        "treatment, and these sessions are closer together than that."
    )


def _outside_typical(w: PlanWarning, *, for_patient: bool) -> str:
    typical = format_count_range(w.typical_min, w.typical_max, "session")
    more = w.typical_max is not None and w.sessions > w.typical_max
    comparison = "more" if more else "fewer"
    if for_patient:
        return (
            f"This plan has {plural(w.sessions, 'session')} of {w.treatment_name}, {comparison} "
            f"than the typical series of {typical} that is documented; your clinician can "
            "explain why."
        )
    return (
        f"{w.treatment_name}: {plural(w.sessions, 'session')} planned, {comparison} than the "
        f"documented typical series of {typical}. Explain the reason to the patient."
    )


def _results_on_ready_by(w: PlanWarning, *, investigational: bool) -> str:
    ready = format_date(w.ready_by)
    name = w.treatment_name
    if investigational:
        return (
            f"{name} is investigational: {TRIAL_STUDIES_RESULTS}, so no results can be counted "
            f"on by {ready}."
        )
    r = w.results
    certainty = "will" if r.developing_until_min and w.ready_by < r.developing_until_min else "may"
    return (
        f"Results of {name} {certainty} still be developing on {ready}: they keep developing "
        f"for {results_develop_weeks(r.weeks_min, r.weeks_max)}, so after the last session "
        f"on {format_date(r.after_session_date)} until about "
        f"{format_date_range(r.developing_until_min, r.developing_until_max)}."
    )


def _latest_start(w: PlanWarning, *, today: date) -> str:
    ready = format_date(w.ready_by)
    if w.latest_start >= today:
        return (
            f"For every downtime to be over and the results done developing by {ready}, the "
            f"first session would need to be on or before {format_date(w.latest_start)} "
            f"(it is planned for {format_date(w.session.session_date)})."
        )
    # The latest workable start has passed: name no date in the past; say what could work.
    return (
        f"The ready-by date {ready} cannot be met with this plan: even starting today, the "
        "downtime or the weeks the results keep developing would run past it. It could be met "
        "with fewer sessions, another treatment with a shorter downtime, or a later event date."
    )


def warning_message(
    w: PlanWarning, *, today: date, investigational: bool = False, for_patient: bool = False
) -> str:
    ready = format_date(w.ready_by) if w.ready_by else ""
    if w.kind == "overlap":
        return (
            f"{_describe(w.session)} falls within the downtime after {_describe(w.other)}, "
            f"which may last until {format_date(w.other.downtime_until_max)}."
        )
    if w.kind == "too_close":
        return _too_close(w)
    if w.kind == "sessions_outside_typical":
        return _outside_typical(w, for_patient=for_patient)
    if w.kind == "session_after_ready_by":
        return f"{_describe(w.session)} is after the ready-by date {ready}."
    if w.kind == "downtime_after_ready_by":
        until = w.session.downtime_until_max
        if until == w.ready_by:
            return (
                f"Downtime after {_describe(w.session)} may last until {format_date(until)}, "
                f"the ready-by date itself."
            )
        return (
            f"Downtime after {_describe(w.session)} may last until {format_date(until)}, "
            f"past the ready-by date {ready}."
        )
    if w.kind == "ready_by_unchecked" and w.missing == "downtime":
        return (
            f"Downtime after {w.treatment_name} is not documented, so it cannot be checked "
            f"whether the patient will have recovered by {ready}."
        )
    if w.kind == "ready_by_unchecked":
        if investigational:
            return _results_on_ready_by(w, investigational=True)
        return (
            f"How long results of {w.treatment_name} keep developing is not documented, so it "
            f"cannot be said whether they will still be developing on {ready}."
        )
    if w.kind == "results_developing_on_ready_by":
        return _results_on_ready_by(w, investigational=investigational)
    if w.kind == "latest_start":
        return _latest_start(w, today=today)
    raise ValueError(f"Unknown warning kind: {w.kind!r}")


def word_warnings(
    warnings: Iterable[PlanWarning],
    *,
    today: date,
    investigational_keys: Collection[str] = (),
    for_patient: bool = False,
) -> tuple[WordedWarning, ...]:
    return tuple(
        WordedWarning(
            kind=w.kind,
            message=warning_message(
                w,
                today=today,
                investigational=w.course_key in investigational_keys,
                for_patient=for_patient,
            ),
            course_key=w.course_key,
        )
        for w in warnings
    )


# Recall letters ------------------------------------------------------------------------------

RECALL_LETTER_INTRO = (
    "We are writing because a batch (lot {lot}) of {product}, an exosome preparation, has been "
    "recalled. Our records show that it was used, or planned to be used, in your treatment."
)
RECALL_LETTER_WHAT_TO_DO = (
    "Please contact us so that we can talk it through with you. If you notice anything "
    "unusual where you were treated, such as redness that spreads or does not fade, swelling, "
    "warmth, pain or fever, contact us or seek medical care straight away. A session still "
    "planned with this lot will not go ahead with it; we will arrange another lot or a new date."
)
RECALL_LETTER_MEDWATCH = (
    "You can also report a problem you think is linked to a product yourself, to the FDA's "
    "MedWatch programme: www.fda.gov/medwatch or 1-800-FDA-1088."
)
