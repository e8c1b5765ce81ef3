"""The plan as one picture: an SVG timeline built from plain data, for the plan editor, the
plan page, the compare page, the patient summary and its PDF.

Plain data in (`Timeline`), SVG text out (`render_timeline`); no ORM, no clock, no templates.
`timeline_of` reads a planner.planning.PlanOutlook (frozen dataclasses) into that data.

What is drawn, and how it stays readable in print and greyscale (shapes and patterns, never
colour alone):

- a date axis whose labels thin out (a day, a week, two weeks, a month … a year apart) so
  they never overlap;
- one lane per course, labelled with its number and treatment; each session a diamond, its
  downtime a band from the session date to the last day downtime may last (the shortest
  documented downtime solid, the longest hatched and lighter); sessions whose bands would
  collide are stacked in a further row of the same lane;
- after a course's last session, the weeks its results keep developing (cross-hatched up to
  the shortest documented figure, lighter up to the longest);
- the ready-by date as a dashed vertical line, today as a dotted one;
- warnings (a session inside another's downtime, a lot that expires before its session) as
  triangles and squares on a warnings lane, each with its sentence as a tooltip.

Every text is escaped; the whole picture is also told in <title>/<desc> for screen readers,
and the tables beside it stay."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from clinic.formatting import (
    NOT_DOCUMENTED,
    format_date,
    format_date_range,
    format_day_month,
    format_lot_warning,
    format_month,
    plural,
)

# Geometry (SVG user units; the picture scales to its container's width).
WIDTH = 960
# The width of the drawing for a side panel, a compare column or a phone.
NARROW = 460
# Course names stand above their lane, in full, so the axis keeps the whole width.
NAME_ROW = 20
FONT_SIZE = 11
LABEL_GAP = 6
ROW = 22
RESULTS_ROW = 14
MARKER_ROW = 16
TOP_LABEL_ROW = 15

RESULTS_LABEL = "results keep developing"
WARNING_STYLE = 'fill="#ffd166" stroke="#8b0000" stroke-width="1.5"'
LOT_STYLE = 'fill="#fff" stroke="#8b0000" stroke-width="2"'


@dataclass(frozen=True)
class TimelineSession:
    number: int
    day: date
    # The last day downtime may last, for the shortest and the longest documented downtime;
    # None when the catalog does not document it.
    downtime_until_min: date | None = None
    downtime_until_max: date | None = None


@dataclass(frozen=True)
class TimelineCourse:
    name: str
    sessions: tuple[TimelineSession, ...]
    # After the course's last session, results keep developing until about these dates.
    results_until_min: date | None = None
    results_until_max: date | None = None


@dataclass(frozen=True)
class TimelineMarker:
    kind: str  # "overlap" or "lot"
    day: date
    text: str
    course: int | None = None  # index into Timeline.courses


@dataclass(frozen=True)
class Timeline:
    courses: tuple[TimelineCourse, ...]
    today: date
    ready_by: date | None = None
    markers: tuple[TimelineMarker, ...] = ()


class Box(NamedTuple):
    """A label's estimated extent, for keeping labels apart. (A named tuple: a picture
    places a few hundred, and a frozen dataclass is several times slower to make.)"""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Box") -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate (an average glyph of a sans-serif face is narrower), so a label
    is never wider than the room kept for it."""
    return len(text) * size * 0.62


def label_box(x: float, y: float, text: str, anchor: str, size: float = FONT_SIZE) -> Box:
    """The box a <text> at (x, y) (baseline) with this anchor occupies."""
    width = text_width(text, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return Box(left, y - size, left + width, y + size * 0.3)


# Reading an outlook --------------------------------------------------------------------------


def timeline_of(outlook) -> Timeline:
    """The timeline of a planner.planning.PlanOutlook (reads its dataclasses only)."""
    schedule = outlook.schedule
    keys: list[str] = []
    for key in [r.course_key for r in schedule.results] + [s.course_key for s in schedule.sessions]:
        if key not in keys:
            keys.append(key)
    results = {r.course_key: r for r in schedule.results}
    courses = []
    for key in keys:
        sessions = sorted(
            (s for s in schedule.sessions if s.course_key == key), key=lambda s: s.session_date
        )
        window = results.get(key)
        name = sessions[0].treatment_name if sessions else window.treatment_name
        if key in outlook.investigational_courses:
            # Whether and when its results appear is what the trial studies (planner/wording.py).
            window = None
        courses.append(
            TimelineCourse(
                name=name,
                sessions=tuple(
                    TimelineSession(
                        number=s.number,
                        day=s.session_date,
                        downtime_until_min=s.downtime_until_min,
                        downtime_until_max=s.downtime_until_max,
                    )
                    for s in sessions
                ),
                results_until_min=window.developing_until_min if window else None,
                results_until_max=window.developing_until_max if window else None,
            )
        )
    index = {key: i for i, key in enumerate(keys)}
    markers = [
        TimelineMarker(
            kind="overlap",
            day=warning.session.session_date,
            text=worded.message,
            course=index.get(warning.course_key),
        )
        for warning, worded in zip(schedule.warnings, outlook.warnings, strict=False)
        if warning.kind == "overlap" and warning.session is not None
    ]
    for check in outlook.product_checks:
        for warning in check.due_diligence.warnings:
            day = warning.session_date if warning.kind == "expires_before_session" else None
            if warning.kind == "expired":
                day = warning.expires_on
            if day is not None:
                markers.append(
                    TimelineMarker(
                        kind="lot",
                        day=day,
                        text=format_lot_warning(warning),
                        course=index.get(check.course_key),
                    )
                )
    return Timeline(
        courses=tuple(courses),
        today=outlook.today or (schedule.first_date or date.today()),
        ready_by=outlook.ready_by,
        markers=tuple(markers),
    )


# Drawing -------------------------------------------------------------------------------------


# Characters XML 1.0 cannot hold at all, even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Anything escape() changes; most labels hold none, and are returned as they are.
_TO_ESCAPE = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def escape(text: str) -> str:
    """Text as it may stand in an SVG element or a double-quoted attribute."""
    text = str(text)
    if _TO_ESCAPE.search(text) is None:
        return text
    text = _NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;")
    return text.replace(">", "&gt;").replace('"', "&quot;")


def _num(value: float) -> str:
    """A coordinate to a tenth, without a trailing '.0' (some 400 per picture)."""
    return f"{value:.1f}".removesuffix(".0")


def axis_bounds(width: int = WIDTH) -> tuple[float, float]:
    """Where the date axis starts and ends in a picture this wide."""
    return 10, width - 12


class _Scale:
    def __init__(self, start: date, end: date, width: int):
        self.start, self.end = start, end
        self.days = max((end - start).days, 1)
        self.x0, self.x1 = axis_bounds(width)

    def x(self, day: date) -> float:
        return self.x0 + (day - self.start).days / self.days * (self.x1 - self.x0)

    def x_after(self, day: date) -> float:
        """x of the day after `day`: where a band that lasts through `day` ends."""
        return self.x0 + ((day - self.start).days + 1) / self.days * (self.x1 - self.x0)


def _domain(timeline: Timeline) -> tuple[date, date]:
    days = [timeline.today]
    ends = [timeline.today + timedelta(days=1)]
    if timeline.ready_by:
        days.append(timeline.ready_by)
        ends.append(timeline.ready_by + timedelta(days=1))
    for course in timeline.courses:
        for s in course.sessions:
            days.append(s.day)
            ends.append(s.day + timedelta(days=1))
            for until in (s.downtime_until_min, s.downtime_until_max):
                if until:
                    ends.append(until + timedelta(days=1))
        for until in (course.results_until_min, course.results_until_max):
            if until:
                ends.append(until + timedelta(days=1))
    for m in timeline.markers:
        days.append(m.day)
        ends.append(m.day + timedelta(days=1))
    start, end = min(days), max(ends)
    if (end - start).days < 14:
        end = start + timedelta(days=14)
    pad = timedelta(days=max(2, (end - start).days // 40))
    return start - pad, end + pad


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _ticks(scale: _Scale) -> list[tuple[date, str]]:
    """The axis ticks: the finest step whose labels fit side by side."""
    span_px = scale.x1 - scale.x0
    for step_days in (1, 7, 14):
        labels_fit = span_px / scale.days * step_days >= text_width("30 Sep") + LABEL_GAP * 2
        if labels_fit:
            ticks, day = [], scale.start + timedelta(days=1)
            if step_days > 1:  # weeks start on Mondays
                day += timedelta(days=(7 - day.weekday()) % 7)
            while day < scale.end:
                ticks.append((day, format_day_month(day)))
                day += timedelta(days=step_days)
            return ticks
    for step in (1, 2, 3, 6, 12):
        if span_px / scale.days * 30 * step >= text_width("Sep 2027") + LABEL_GAP * 2:
            break
    ticks, day = [], _add_months(scale.start, 1)
    while day < scale.end:
        if (day.month - 1) % step == 0:
            ticks.append((day, format_month(day) if step < 12 else str(day.year)))
        day = _add_months(day, 1)
    return ticks


def _safe_id(prefix: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", prefix) or "timeline"


def _shorten(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


class _Canvas:
    # Labels are kept in horizontal bands this tall, so a new label is compared only with
    # those near it (12 courses of 12 sessions draw some 400 labels).
    BAND = 32

    def __init__(self, width: int):
        self.width = width
        self.parts: list[str] = []
        self.bands: dict[int, list[Box]] = {}

    def add(self, part: str) -> None:
        self.parts.append(part)

    def _bands_of(self, box: Box) -> range:
        return range(int(box.y0 // self.BAND), int(box.y1 // self.BAND) + 1)

    def keep(self, box: Box) -> None:
        for band in self._bands_of(box):
            self.bands.setdefault(band, []).append(box)

    def fits(self, box: Box) -> bool:
        # Box.overlaps, written out: some 50 labels, each compared with its neighbours.
        x0, y0, x1, y1 = box
        if x0 < 0 or x1 > self.width:
            return False
        bands = self.bands
        for band in self._bands_of(box):
            for other in bands.get(band, ()):
                if x0 < other[2] and other[0] < x1 and y0 < other[3] and other[1] < y1:
                    return False
        return True

    def text(self, x, y, text, *, anchor="start", css="label", size=FONT_SIZE, force=False):
        """Draw a label unless it would overlap one already drawn; True when drawn."""
        # label_box, written out (some 40 labels a picture).
        width = len(text) * size * 0.62
        left = x if anchor == "start" else x - width / 2 if anchor == "middle" else x - width
        box = Box(left, y - size, left + width, y + size * 0.3)
        if not force and not self.fits(box):
            return False
        self.keep(box)
        size_attr = "" if size == FONT_SIZE else f' font-size="{_num(size)}"'
        self.parts.append(
            f'<text class="{css}" x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"'
            f"{size_attr}>{escape(text)}</text>"
        )
        return True


def _defs(p: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{p}-hatch" width="5" height="5" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">'
        '<rect width="5" height="5" fill="#f3d9c4"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#7a4a2a" stroke-width="1.2"/></pattern>'
        f'<pattern id="{p}-results" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#e3f0e3"/>'
        '<path d="M0 0L6 6M6 0L0 6" stroke="#2f6b34" stroke-width="0.9"/></pattern>'
        f'<pattern id="{p}-results-late" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<circle cx="3" cy="3" r="0.9" fill="#2f6b34"/></pattern>'
        "</defs>"
    )


def _diamond(x: float, y: float, r: float = 6) -> str:
    xs, ys = _num(x), _num(y)
    return f"M{xs} {_num(y - r)}L{_num(x + r)} {ys}L{xs} {_num(y + r)}L{_num(x - r)} {ys}Z"


def _triangle(x: float, y: float, r: float = 6) -> str:
    points = [(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)]
    return "M" + "L".join(f"{_num(a)} {_num(b)}" for a, b in points) + "Z"


class _Spot(NamedTuple):
    """Where a session is drawn: its x, and where its longest and shortest downtime bands
    end (None without one)."""

    x: float
    max_end: float | None
    min_end: float | None


def _spots(scale: _Scale, sessions: tuple[TimelineSession, ...]) -> list[_Spot]:
    return [
        _Spot(
            scale.x(s.day),
            scale.x_after(s.downtime_until_max) if s.downtime_until_max else None,
            scale.x_after(s.downtime_until_min) if s.downtime_until_min else None,
        )
        for s in sessions
    ]


def _rows(spots: list[_Spot]) -> list[int]:
    """Stack sessions whose bands would collide into further rows (first fit). A session
    occupies its diamond, its number and its longest band."""
    row_ends: list[float] = []
    rows = []
    for x, max_end, min_end in spots:
        left, right = x - 7, max(x + 7, max_end or x, min_end or x)
        for row, end in enumerate(row_ends):
            if left > end + 1:
                row_ends[row] = right
                rows.append(row)
                break
        else:
            row_ends.append(right)
            rows.append(len(row_ends) - 1)
    return rows


def _description(timeline: Timeline) -> str:
    sessions = sum(len(c.sessions) for c in timeline.courses)
    parts = []
    if sessions:
        first = min(s.day for c in timeline.courses for s in c.sessions)
        last = max(s.day for c in timeline.courses for s in c.sessions)
        parts.append(
            f"{plural(sessions, 'session')} in {plural(len(timeline.courses), 'course')}, "
            f"from {format_date(first)} to {format_date(last)}."
        )
    else:
        parts.append("No sessions yet.")
    for number, course in enumerate(timeline.courses, start=1):
        days = ", ".join(format_date(s.day) for s in course.sessions)
        sentence = f"Course {number}, {course.name}: sessions on {days}."
        if course.results_until_max:
            until = format_date_range(course.results_until_min, course.results_until_max)
            sentence += f" After the last session, results keep developing until about {until}."
        parts.append(sentence)
    if timeline.ready_by:
        parts.append(f"Ready by {format_date(timeline.ready_by)}.")
    parts.append(f"Today is {format_date(timeline.today)}.")
    if timeline.markers:
        parts.append("Warnings: " + " ".join(m.text for m in timeline.markers))
    return " ".join(parts)


@dataclass(frozen=True)
class _Texts:
    """What a picture says in words, the same at any width (escaped, ready to insert): the
    description, and each course's full name, session tooltips and results tooltip."""

    description: str
    names: tuple[str, ...]
    session_tips: tuple[tuple[str, ...], ...]
    results_tips: tuple[str, ...]


def _texts(timeline: Timeline) -> _Texts:
    session_tips, results_tips = [], []
    for course in timeline.courses:
        tips = []
        for s in course.sessions:
            downtime = (
                "until " + format_date_range(s.downtime_until_min, s.downtime_until_max)
                if s.downtime_until_max
                else NOT_DOCUMENTED
            )
            tips.append(
                escape(
                    f"{course.name}, session {s.number}: {format_date(s.day)}; downtime {downtime}"
                )
            )
        session_tips.append(tuple(tips))
        until = format_date_range(course.results_until_min, course.results_until_max)
        results_tips.append(escape(f"{course.name}: results keep developing until about {until}"))
    return _Texts(
        description=escape(_description(timeline)),
        names=tuple(
            escape(f"{index}. {course.name}")
            for index, course in enumerate(timeline.courses, start=1)
        ),
        session_tips=tuple(session_tips),
        results_tips=tuple(results_tips),
    )


def render_timeline_pair(timeline: Timeline, *, id_prefix: str = "timeline") -> tuple[str, str]:
    """The wide picture (ids from `id_prefix`) and the narrow one (`id_prefix`-narrow) of the
    same timeline, for a box of either width: the words they share are written once."""
    texts = _texts(timeline)
    return (
        render_timeline(timeline, id_prefix=id_prefix, width=WIDTH, texts=texts),
        render_timeline(timeline, id_prefix=f"{id_prefix}-narrow", width=NARROW, texts=texts),
    )


def render_timeline(
    timeline: Timeline,
    *,
    id_prefix: str = "timeline",
    width: int = WIDTH,
    texts: _Texts | None = None,
) -> str:
    """The SVG of `timeline`, `width` units wide (it scales to its box; a narrow box reads
    better with a narrow picture, whose labels are then larger)."""
    texts = texts or _texts(timeline)
    name_chars = int((width - 14) / text_width("x"))
    p = _safe_id(id_prefix)
    start, end = _domain(timeline)
    scale = _Scale(start, end, width)
    canvas = _Canvas(width)

    # The top: labels of today and the ready-by date, each in the first row it fits.
    top_marks = [("today", timeline.today, f"Today {format_date(timeline.today)}")]
    if timeline.ready_by:
        top_marks.insert(
            0, ("ready-by", timeline.ready_by, f"Ready by {format_date(timeline.ready_by)}")
        )
    placed_top = []
    for kind, day, label in top_marks:
        x = scale.x(day)
        anchor, tx = ("start", x + 4) if x + 4 + text_width(label) <= width else ("end", x - 4)
        row = 0
        while any(
            label_box(tx, TOP_LABEL_ROW * (row + 1), label, anchor).overlaps(b) for b in placed_top
        ):
            row += 1
        box = label_box(tx, TOP_LABEL_ROW * (row + 1), label, anchor)
        placed_top.append(box)
        top_marks_row = row
        canvas.keep(box)
        canvas.add(
            f'<text class="label mark-label {kind}-label" x="{_num(tx)}" '
            f'y="{_num(TOP_LABEL_ROW * (top_marks_row + 1))}" text-anchor="{anchor}" '
            f'font-weight="600">{escape(label)}</text>'
        )
    top_height = TOP_LABEL_ROW * (max(len(placed_top), 1)) + 6

    # The axis: tick labels, then the line.
    axis_label_y = top_height + FONT_SIZE
    axis_y = axis_label_y + 6
    for day, label in _ticks(scale):
        x = scale.x(day)
        canvas.add(
            f'<line class="tick" x1="{_num(x)}" y1="{_num(axis_y)}" x2="{_num(x)}" '
            f'y2="{_num(axis_y + 4)}" stroke="#555"/>'
        )
        canvas.text(x, axis_label_y, label, anchor="middle", css="label tick-label")
    canvas.add(
        f'<line class="axis" x1="{_num(scale.x0)}" y1="{_num(axis_y)}" x2="{_num(scale.x1)}" '
        f'y2="{_num(axis_y)}" stroke="#333"/>'
    )

    # One lane per course.
    y = axis_y + 8
    for index, course in enumerate(timeline.courses):
        spots = _spots(scale, course.sessions)
        rows = _rows(spots)
        lane_rows = (max(rows) + 1) if rows else 1
        name_row = NAME_ROW
        lane_height = name_row + lane_rows * ROW + RESULTS_ROW + 6
        if index % 2:
            canvas.add(
                f'<rect class="lane-bg" x="0" y="{_num(y)}" width="{width}" '
                f'height="{_num(lane_height)}" fill="#f5f5f5"/>'
            )
        name = f"{index + 1}. {course.name}"
        short = _shorten(name, name_chars)
        canvas.add(f'<g class="course-label"><title>{texts.names[index]}</title>')
        name_y = y + 12
        canvas.text(4, name_y, short, css="label course-name", force=True)
        canvas.add("</g>")
        y += name_row
        sessions = zip(course.sessions, spots, rows, texts.session_tips[index], strict=True)
        for s, (x, max_end, min_end), row, tip in sessions:
            mid = y + row * ROW + ROW / 2 + 2
            band = f'x="{_num(x)}" y="{_num(mid - 4)}"'
            if max_end is not None:
                canvas.add(
                    f'<rect class="downtime downtime-max" {band} '
                    f'width="{_num(max_end - x)}" height="8" fill="url(#{p}-hatch)" '
                    'stroke="#7a4a2a" stroke-width="0.6"/>'
                )
            if min_end is not None:
                canvas.add(
                    f'<rect class="downtime downtime-min" {band} '
                    f'width="{_num(min_end - x)}" height="8" fill="#7a4a2a"/>'
                )
            canvas.add(
                f'<path class="session" data-course="{index}" data-number="{s.number}" '
                f'data-date="{s.day.isoformat()}" d="{_diamond(x, mid)}" fill="#1d3557" '
                f'stroke="#fff" stroke-width="1"><title>{tip}</title></path>'
            )
            canvas.text(
                x, mid - 8, str(s.number), anchor="middle", css="label session-number", size=9
            )
        results_y = y + lane_rows * ROW + 2
        if course.sessions and course.results_until_max:
            last = course.sessions[-1].day
            x = scale.x(last)
            x_min = scale.x_after(course.results_until_min or course.results_until_max)
            x_max = scale.x_after(course.results_until_max)
            canvas.add(
                f'<g class="results" data-course="{index}">'
                f"<title>{texts.results_tips[index]}</title>"
                f'<rect class="results-min" x="{_num(x)}" y="{_num(results_y)}" '
                f'width="{_num(x_min - x)}" height="9" fill="url(#{p}-results)" '
                'stroke="#2f6b34" stroke-width="0.6"/>'
                f'<rect class="results-max" x="{_num(x_min)}" y="{_num(results_y)}" '
                f'width="{_num(x_max - x_min)}" height="9" fill="url(#{p}-results-late)" '
                'stroke="#2f6b34" stroke-width="0.6" stroke-dasharray="2 2"/></g>'
            )
            label_y = results_y + 9
            if not canvas.text(
                x_max + 4, label_y, RESULTS_LABEL, css="label results-label", size=9
            ):
                canvas.text(
                    x - 4, label_y, RESULTS_LABEL, anchor="end", css="label results-label", size=9
                )
        y += lane_height - name_row

    # Warnings lane.
    if timeline.markers:
        canvas.text(4, y + 12, "Warnings", css="label course-name", force=True)
        y += NAME_ROW
        row_ends: list[float] = []
        for marker in sorted(timeline.markers, key=lambda m: m.day):
            x = scale.x(marker.day)
            for row, end_x in enumerate(row_ends):
                if x - 7 > end_x:
                    row_ends[row] = x + 7
                    break
            else:
                row_ends.append(x + 7)
                row = len(row_ends) - 1
            cy = y + row * MARKER_ROW + MARKER_ROW / 2 + 1
            if marker.kind == "lot":
                shape = (
                    f'<rect x="{_num(x - 5)}" y="{_num(cy - 5)}" width="10" height="10" '
                    'fill="#fff" stroke="#8b0000" stroke-width="2"/>'
                    f'<path d="M{_num(x - 3)} {_num(cy - 3)}L{_num(x + 3)} {_num(cy + 3)}'
                    f'M{_num(x + 3)} {_num(cy - 3)}L{_num(x - 3)} {_num(cy + 3)}" '
                    'stroke="#8b0000" stroke-width="1.5"/>'
                )
            else:
                shape = (
                    f'<path d="{_triangle(x, cy)}" fill="#ffd166" stroke="#8b0000" '
                    'stroke-width="1.5"/>'
                )
            canvas.add(
                f'<g class="marker marker-{escape(marker.kind)}" '
                f'data-date="{marker.day.isoformat()}">'
                f"<title>{escape(marker.text)}</title>{shape}</g>"
            )
        y += max(len(row_ends), 1) * MARKER_ROW + 4
    lanes_bottom = y

    # Today and the ready-by date, across every lane.
    canvas.add(
        f'<line class="today" x1="{_num(scale.x(timeline.today))}" y1="{_num(top_height - 2)}" '
        f'x2="{_num(scale.x(timeline.today))}" y2="{_num(lanes_bottom)}" stroke="#444" '
        'stroke-width="1.5" stroke-dasharray="1.5 3"/>'
    )
    if timeline.ready_by:
        x = scale.x(timeline.ready_by)
        canvas.add(
            f'<line class="ready-by" x1="{_num(x)}" y1="{_num(top_height - 2)}" x2="{_num(x)}" '
            f'y2="{_num(lanes_bottom)}" stroke="#000" stroke-width="2" stroke-dasharray="6 3"/>'
        )

    # Legend, wrapping to further rows.
    dotted = 'stroke="#444" stroke-width="1.5" stroke-dasharray="1.5 3"'
    dashed = 'stroke="#000" stroke-width="2" stroke-dasharray="6 3"'
    swatch = '<rect x="0" y="-8" width="14" height="8" '
    legend = [
        (f'<path d="{_diamond(7, -4)}" fill="#1d3557"/>', "session"),
        ('<rect x="0" y="-8" width="14" height="8" fill="#7a4a2a"/>', "downtime (shortest)"),
        (
            swatch + f'fill="url(#{p}-hatch)" stroke="#7a4a2a" stroke-width="0.6"/>',
            "downtime (longest)",
        ),
        (
            f'<line x1="7" y1="-11" x2="7" y2="3" {dotted}/>',
            "today",
        ),
    ]
    if any(c.sessions and c.results_until_max for c in timeline.courses):
        legend.insert(
            3,
            (
                swatch + f'fill="url(#{p}-results)" stroke="#2f6b34" stroke-width="0.6"/>',
                "results keep developing",
            ),
        )
    if timeline.ready_by:
        legend.append(
            (
                f'<line x1="7" y1="-11" x2="7" y2="3" {dashed}/>',
                "ready by",
            )
        )
    kinds = {m.kind for m in timeline.markers}
    if "overlap" in kinds:
        legend.append(
            (
                f'<path d="{_triangle(7, -4)}" {WARNING_STYLE}/>',
                "session inside downtime",
            )
        )
    if "lot" in kinds:
        legend.append(
            (
                f'<rect x="2" y="-9" width="10" height="10" {LOT_STYLE}/>',
                "lot expires first",
            )
        )
    lx, ly = 4.0, lanes_bottom + 20
    for swatch, label in legend:
        item_width = 18 + text_width(label) + 16
        if lx + item_width > width:
            lx, ly = 4.0, ly + 18
        canvas.add(
            f'<g class="legend-item" transform="translate({_num(lx)} {_num(ly)})">{swatch}</g>'
        )
        canvas.text(lx + 18, ly, label, css="label legend-label")
        lx += item_width
    height = ly + 8

    title = "Plan timeline"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
        f'viewBox="0 0 {width} {_num(height)}" width="{width}" height="{_num(height)}" '
        f'aria-labelledby="{p}-title {p}-desc" font-family="DejaVu Sans, Verdana, sans-serif" '
        f'font-size="{FONT_SIZE}" fill="#111">'
        f'<title id="{p}-title">{escape(title)}</title>'
        f'<desc id="{p}-desc">{texts.description}</desc>'
        f"{_defs(p)}" + "".join(canvas.parts) + "</svg>"
    )
