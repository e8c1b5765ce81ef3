"""The reports' charts: horizontal stacked bars, built from plain data as SVG text.

Plain data in (`BarChart`), SVG text out (`render_bar_chart`); no ORM, no clock, no templates.
One row per category (a status, a month, a treatment), so the category labels stand one
under the other on the left and can never collide; a row's bar is made of segments, one per
series (e.g. accepted / declined / still open), each filled with its own pattern as well as
its own shade, so the chart reads in greyscale and on paper. Each row's figures are written
at the end of its bar, and the whole chart is also told in <title>/<desc>; the page shows the
same figures as a table beside it.

Values are Decimal or int; they become floats only for geometry, never for a figure shown."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from planner.timeline import FONT_SIZE, escape, text_width

WIDTH = 720
ROW = 26
BAR = 16
MIN_BAR = 1.5
TOP = 8
AXIS_LABEL_ROW = 16
LABEL_GAP = 8
# Room for the figures written after the longest bar: as wide as the widest, within limits
# (a longer one is shortened; the table holds it in full).
MIN_VALUE_ROOM = 60
MAX_VALUE_ROOM = 260
MIN_LABEL_ROOM = 90
MAX_LABEL_ROOM = 220
# Narrower than this, labels stand above their bars (see render_bar_chart).
NARROW_FROM = 500
NARROW = 360
NARROW_ROW = 40

# (fill, pattern) per series: shades far apart in grey, and a pattern that tells them apart
# without any shade at all.
SERIES_STYLES = (
    ("#1d3557", "solid"),
    ("#a8dadc", "hatch"),
    ("#e9c46a", "dots"),
    ("#ffffff", "cross"),
)


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[Decimal | int, ...]  # one per series, none negative
    text: str = ""  # the row's figures as words, written after its bar


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    series: tuple[str, ...]
    rows: tuple[Row, ...]
    # Tick labels: how a value on the axis reads (e.g. "USD 2,000").
    tick_format: Callable[[Decimal], str] = lambda v: f"{v:,}"


def nice_step(maximum: float, ticks: int) -> float:
    """The smallest 1, 2 or 5 × 10^k step that covers `maximum` in at most `ticks` steps."""
    if maximum <= 0:
        return 1
    rough = maximum / max(ticks, 1)
    magnitude = 10 ** len(str(int(rough))) / 10 if rough >= 1 else 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * ticks >= maximum:
                return step
        magnitude *= 10


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _shorten(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)].rstrip() + "…"


def _defs(p: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{p}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#a8dadc"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1d3557" stroke-width="1.5"/></pattern>'
        f'<pattern id="{p}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect width="5" height="5" fill="#e9c46a"/>'
        '<circle cx="2.5" cy="2.5" r="1.1" fill="#5a3e00"/></pattern>'
        f'<pattern id="{p}-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<path d="M0 0L6 6M6 0L0 6" stroke="#555" stroke-width="0.8"/></pattern>'
        "</defs>"
    )


def _fill(p: str, series: int) -> str:
    colour, pattern = SERIES_STYLES[series % len(SERIES_STYLES)]
    return colour if pattern == "solid" else f"url(#{p}-{pattern})"


def axis_ticks(maximum: float, span: float, tick_format) -> tuple[float, list[tuple[float, str]]]:
    """The axis' top value and its ticks (value, label) from 0 to at least `maximum`: as
    many as fit `span` units with their labels apart."""
    for count in (5, 4, 3, 2, 1):
        step = nice_step(maximum, count)
        values = [step * i for i in range(int(maximum / step + 0.999999) + 1)]
        if len(values) < 2:
            values.append(step)
        labels = [tick_format(Decimal(int(v))) for v in values]
        widest = max(text_width(label) for label in labels)
        if span / (len(values) - 1) >= widest + LABEL_GAP or count == 1:
            return values[-1], list(zip(values, labels, strict=True))
    raise AssertionError("unreachable")


def _segments(row: Row, axis_max: float, span: float) -> list[tuple[int, object, float]]:
    """(series, value, width) of each non-zero value of `row`: at least MIN_BAR wide, so a
    small value next to a large one is still seen, and the row shrunk back inside the axis if
    that widening pushed it past the end."""
    widths = [
        (series, value, max(float(value) / axis_max * span, MIN_BAR))
        for series, value in enumerate(row.values)
        if value
    ]
    total = sum(w for _, _, w in widths)
    if total > span:
        widths = [(series, value, w * span / total) for series, value, w in widths]
    return widths


def _chars(room: float) -> int:
    """How many characters fit `room` units (the estimate is generous already)."""
    return max(int(room / text_width("x") + 1e-6), 1)


def render_bar_chart(chart: BarChart, *, id_prefix: str = "chart", width: int = WIDTH) -> str:
    """The SVG of `chart`: rows top to bottom in the order given, an axis underneath, and a
    legend when there is more than one series. Narrower than NARROW_FROM (a phone), each
    row's label stands above its bar, so the bars keep most of the width."""
    p = "".join(c if c.isalnum() or c in "-_" else "-" for c in id_prefix) or "chart"
    narrow = width < NARROW_FROM
    # The axis starts far enough in for its first tick label ("USD 0") to stay in the picture.
    first_tick = text_width(chart.tick_format(Decimal(0))) / 2 + 2
    if narrow:
        label_room, row_height = max(8, first_tick), NARROW_ROW
        label_chars = _chars(width - label_room - 8)
    else:
        longest = max((text_width(r.label) for r in chart.rows), default=0)
        label_room = min(max(longest + LABEL_GAP, MIN_LABEL_ROOM, first_tick), MAX_LABEL_ROOM)
        label_chars, row_height = _chars(label_room - LABEL_GAP), ROW
    x0 = label_room
    widest_text = max((text_width(r.text) for r in chart.rows), default=0)
    value_room = min(max(widest_text + LABEL_GAP + 4, MIN_VALUE_ROOM), MAX_VALUE_ROOM, width * 0.4)
    value_chars = _chars(value_room - LABEL_GAP - 4)
    x1 = width - value_room
    totals = [float(sum(r.values)) for r in chart.rows]
    # The axis ends at its last tick, at or past the longest bar.
    axis_max, ticks = axis_ticks(max(totals, default=0), x1 - x0, chart.tick_format)
    parts: list[str] = []
    y = TOP
    for index, row in enumerate(chart.rows):
        label = escape(_shorten(row.label, label_chars))
        if narrow:
            mid = y + 18 + BAR / 2
            label_text = (
                f'<text class="label row-label" x="{_num(x0 + 4)}" y="{_num(y + 12)}">'
                f"{label}</text>"
            )
        else:
            mid = y + ROW / 2
            label_text = (
                f'<text class="label row-label" x="{_num(x0 - LABEL_GAP)}" y="{_num(mid + 4)}" '
                f'text-anchor="end">{label}</text>'
            )
        parts.append(
            f'<g class="row" data-row="{index}"><title>{escape(row.label)}</title>{label_text}'
        )
        x = x0
        for series, value, w in _segments(row, axis_max, x1 - x0):
            parts.append(
                f'<rect class="bar" data-row="{index}" data-series="{series}" x="{_num(x)}" '
                f'y="{_num(mid - BAR / 2)}" width="{_num(w)}" height="{BAR}" '
                f'fill="{_fill(p, series)}" stroke="#1d3557" stroke-width="0.6">'
                f"<title>{escape(row.label)}, {escape(chart.series[series])}: {value}</title>"
                "</rect>"
            )
            x += w
        if row.text:
            parts.append(
                f'<text class="label value-label" x="{_num(x + 6)}" y="{_num(mid + 4)}">'
                f"{escape(_shorten(row.text, value_chars))}</text>"
            )
        parts.append("</g>")
        y += row_height
    axis_y = y + 4
    parts.append(
        f'<line class="axis" x1="{_num(x0)}" y1="{_num(axis_y)}" x2="{_num(x1)}" '
        f'y2="{_num(axis_y)}" stroke="#333"/>'
        f'<line class="axis" x1="{_num(x0)}" y1="{TOP}" x2="{_num(x0)}" '
        f'y2="{_num(axis_y)}" stroke="#333"/>'
    )
    for value, label in ticks:
        tx = x0 + value / axis_max * (x1 - x0)
        parts.append(
            f'<line class="tick" x1="{_num(tx)}" y1="{_num(axis_y)}" x2="{_num(tx)}" '
            f'y2="{_num(axis_y + 4)}" stroke="#555"/>'
            f'<text class="label tick-label" x="{_num(tx)}" y="{_num(axis_y + AXIS_LABEL_ROW)}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    height = axis_y + AXIS_LABEL_ROW + 6
    if len(chart.series) > 1:
        lx, ly = 4.0, height + 12
        for series, name in enumerate(chart.series):
            item = 20 + text_width(name) + 16
            if lx + item > width:
                lx, ly = 4.0, ly + 18
            parts.append(
                f'<g class="legend-item" transform="translate({_num(lx)} {_num(ly)})">'
                f'<rect x="0" y="-10" width="14" height="12" fill="{_fill(p, series)}" '
                'stroke="#1d3557" stroke-width="0.6"/>'
                f'<text class="label legend-label" x="20" y="0">{escape(name)}</text></g>'
            )
            lx += item
        height = ly + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {_num(height)}" width="{width}" height="{_num(height)}" '
        f'aria-labelledby="{p}-title {p}-desc" font-family="DejaVu Sans, Verdana, sans-serif" '
        f'font-size="{FONT_SIZE}" fill="#111">'
        f'<title id="{p}-title">{escape(chart.title)}</title>'
        f'<desc id="{p}-desc">{escape(chart.description)}</desc>'
        f"{_defs(p)}" + "".join(parts) + "</svg>"
    )
