"""The reports' bar charts (planner/board/charts.py): pure tests on plain data, no database."""

import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from planner.board.charts import (
    MAX_LABEL_ROOM,
    NARROW,
    WIDTH,
    BarChart,
    Row,
    axis_ticks,
    nice_step,
    render_bar_chart,
)
from planner.timeline import label_box

SVG = "{http://www.w3.org/2000/svg}"


def elements(root, css):
    return [e for e in root.iter() if css in (e.get("class") or "").split()]


def boxes(root):
    """Every drawn label's extent (legend labels sit inside their translated group)."""
    found = []
    for group in root.iter():
        offset = (0.0, 0.0)
        transform = group.get("transform") or ""
        if transform.startswith("translate("):
            x, y = transform[len("translate(") : -1].split()
            offset = (float(x), float(y))
        for text in group.findall(f"{SVG}text"):
            found.append(
                label_box(
                    float(text.get("x")) + offset[0],
                    float(text.get("y")) + offset[1],
                    text.text or "",
                    text.get("text-anchor") or "start",
                )
            )
    return found


labels = st.text(min_size=1, max_size=60)
values = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
)


@st.composite
def charts(draw):
    series = tuple(draw(st.lists(labels, min_size=1, max_size=4)))
    rows = draw(
        st.lists(
            st.builds(
                Row,
                label=labels,
                values=st.tuples(*[values] * len(series)),
                text=st.text(max_size=40),
            ),
            max_size=14,
        )
    )
    return BarChart(
        title=draw(labels), description=draw(st.text()), series=series, rows=tuple(rows)
    )


@given(charts(), st.sampled_from([WIDTH, NARROW]))
def test_every_value_is_drawn_once_inside_the_axis(chart, width):
    root = ET.fromstring(render_bar_chart(chart, width=width))
    bars = elements(root, "bar")
    drawn = sorted((int(b.get("data-row")), int(b.get("data-series"))) for b in bars)
    expected = sorted(
        (r, s) for r, row in enumerate(chart.rows) for s, value in enumerate(row.values) if value
    )
    assert drawn == expected
    axis = elements(root, "axis")[0]
    x0, x1 = float(axis.get("x1")), float(axis.get("x2"))
    for row_index in range(len(chart.rows)):
        mine = sorted(
            (b for b in bars if int(b.get("data-row")) == row_index),
            key=lambda b: float(b.get("x")),
        )
        for bar in mine:
            assert float(bar.get("width")) > 0
            assert x0 - 0.1 <= float(bar.get("x"))
            assert float(bar.get("x")) + float(bar.get("width")) <= x1 + 0.2
        # Segments follow each other: longer values draw longer bars.
        for a, b in zip(mine, mine[1:], strict=False):
            assert abs(float(a.get("x")) + float(a.get("width")) - float(b.get("x"))) < 0.2


@given(charts(), st.sampled_from([WIDTH, NARROW]))
def test_labels_never_overlap_and_stay_inside_the_picture(chart, width):
    root = ET.fromstring(render_bar_chart(chart, width=width))
    found = boxes(root)
    for a, b in combinations(found, 2):
        assert not a.overlaps(b), (a, b)
    for box in found:
        assert box.x0 >= -0.5 and box.x1 <= width + 0.5


@given(charts())
def test_the_chart_is_named_and_described_for_screen_readers(chart):
    root = ET.fromstring(render_bar_chart(chart, id_prefix="pipeline-USD"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "pipeline-USD-title pipeline-USD-desc"
    assert root.find(f"{SVG}title").get("id") == "pipeline-USD-title"
    assert root.find(f"{SVG}desc").get("id") == "pipeline-USD-desc"
    # Each row names itself in full, even when its label had to be shortened.
    titles = [g.find(f"{SVG}title") for g in elements(root, "row")]
    assert len(titles) == len(chart.rows)


def test_labels_are_escaped():
    chart = BarChart(
        title='<script>alert("x")</script> & co',
        description="a < b",
        series=("<b>", "&amp;"),
        rows=(Row('=cmd|"/c calc"!A1 <img src=x>', (3, 4), "<i>7</i>"),),
    )
    svg = render_bar_chart(chart)
    assert "<script>" not in svg and "<img" not in svg and "<i>" not in svg
    root = ET.fromstring(svg)  # well-formed
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script> & co'
    assert elements(root, "row-label")[0].text == '=cmd|"/c calc"!A1 <img src=x>'


def test_a_long_label_is_shortened_and_told_in_full_in_its_title():
    name = "A very long treatment name that would run into the bars if it were drawn in full"
    root = ET.fromstring(render_bar_chart(BarChart("t", "d", ("n",), (Row(name, (1,)),))))
    label = elements(root, "row-label")[0]
    assert label.text.endswith("…") and len(label.text) < len(name)
    assert label_box(float(label.get("x")), 0, label.text, "end").x0 >= 0
    assert float(label.get("x")) <= MAX_LABEL_ROOM
    assert elements(root, "row")[0].find(f"{SVG}title").text == name


def test_money_ticks_read_as_money():
    chart = BarChart(
        "t",
        "d",
        ("low", "high"),
        (Row("Presented", (Decimal("2000"), Decimal("2000"))),),
        tick_format=lambda v: f"USD {v:,}",
    )
    ticks = [t.text for t in elements(ET.fromstring(render_bar_chart(chart)), "tick-label")]
    assert ticks[0] == "USD 0" and ticks[-1] == "USD 4,000"


@given(st.floats(min_value=0, max_value=1e9), st.integers(min_value=1, max_value=8))
def test_nice_steps_cover_the_maximum(maximum, ticks):
    step = nice_step(maximum, ticks)
    assert step * ticks >= maximum
    assert str(int(step)).rstrip("0") in ("1", "2", "5")


def test_the_axis_reaches_past_the_longest_bar():
    top, ticks = axis_ticks(7, 400, str)
    assert top == 8 and [v for v, _ in ticks] == [0, 2, 4, 6, 8]
    top, ticks = axis_ticks(0, 400, str)
    assert top == 1 and [label for _, label in ticks] == ["0", "1"]
