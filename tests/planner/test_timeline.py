"""The timeline picture (planner/timeline.py): pure tests on plain data, no database."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.planning import PlanOutlook
from planner.scheduling import CourseInput, Interval, build_schedule
from planner.timeline import (
    WIDTH,
    Timeline,
    TimelineCourse,
    TimelineMarker,
    TimelineSession,
    axis_bounds,
    label_box,
    render_timeline,
    timeline_of,
)
from planner.wording import word_warnings

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 11, 29)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def elements(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if css in (e.get("class") or "").split()]


def session(day: date, number: int = 1, min_days: int | None = 1, max_days: int | None = 2):
    return TimelineSession(
        number=number,
        day=day,
        downtime_until_min=day + timedelta(days=min_days) if min_days is not None else None,
        downtime_until_max=day + timedelta(days=max_days) if max_days is not None else None,
    )


def course(name: str, first: date, count: int, every_days: int, downtime=(1, 2), results=True):
    sessions = tuple(
        session(first + timedelta(days=i * every_days), i + 1, *downtime) for i in range(count)
    )
    last = sessions[-1].day
    return TimelineCourse(
        name=name,
        sessions=sessions,
        results_until_min=last + timedelta(weeks=4) if results else None,
        results_until_max=last + timedelta(weeks=6) if results else None,
    )


def twelve_by_twelve() -> Timeline:
    """12 courses of 12 sessions over two years, the largest plan the picture must carry."""
    return Timeline(
        courses=tuple(
            course(f"Fractional laser + exosome {c}", date(2027, 1, 4) + timedelta(days=c * 3),
                   12, 60, downtime=(3, 7))
            for c in range(12)
        ),
        today=TODAY,
        ready_by=date(2029, 1, 15),
        markers=(
            TimelineMarker("overlap", date(2027, 3, 5), "Session inside downtime", 0),
            TimelineMarker("lot", date(2027, 3, 6), "Lot expires first", 1),
        ),
    )  # fmt: skip


def labels(root: ET.Element) -> list:
    out = []
    for e in elements(root, "label"):
        size = float(e.get("font-size") or 11)
        out.append(
            label_box(float(e.get("x")), float(e.get("y")), e.text, e.get("text-anchor"), size)
        )
    return out


@st.composite
def timelines(draw):
    start = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
    courses = []
    for _ in range(draw(st.integers(1, 12))):
        documented = draw(st.booleans())
        low = draw(st.integers(0, 7))
        downtime = (low, low + draw(st.integers(0, 7))) if documented else (None, None)
        courses.append(
            course(
                draw(st.text(min_size=1, max_size=40)),
                start + timedelta(days=draw(st.integers(0, 90))),
                draw(st.integers(1, 12)),
                draw(st.integers(1, 62)),
                downtime=downtime,
                results=draw(st.booleans()),
            )
        )
    ready_by = draw(st.none() | st.dates(min_value=start, max_value=date(2031, 1, 1)))
    markers = tuple(
        TimelineMarker(kind, day, text, 0)
        for kind, day, text in draw(
            st.lists(
                st.tuples(st.sampled_from(["overlap", "lot"]), st.dates(start, date(2030, 1, 1)),
                          st.text(max_size=30)),
                max_size=5,
            )
        )
    )  # fmt: skip
    today = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 1, 1)))
    return Timeline(tuple(courses), today=today, ready_by=ready_by, markers=markers)


@settings(max_examples=60, deadline=None)
@given(timelines())
def test_every_session_is_drawn_exactly_once_and_the_svg_is_valid_xml(timeline):
    root = parse(render_timeline(timeline))
    drawn = sorted(
        (int(e.get("data-course")), int(e.get("data-number")), e.get("data-date"))
        for e in elements(root, "session")
    )
    expected = sorted(
        (c, s.number, s.day.isoformat())
        for c, course_ in enumerate(timeline.courses)
        for s in course_.sessions
    )
    assert drawn == expected


WIDTHS = st.sampled_from([WIDTH, 460, 1200])


@settings(max_examples=60, deadline=None)
@given(timelines(), WIDTHS)
def test_bands_and_marks_stay_inside_the_axis(timeline, width):
    root = parse(render_timeline(timeline, width=width))
    x0, x1 = axis_bounds(width)
    for css in ("downtime", "results-min", "results-max"):
        for band in elements(root, css):
            x, band_width = float(band.get("x")), float(band.get("width"))
            assert x >= x0 and x + band_width <= x1 + 0.1
            assert band_width >= 0
    for line in elements(root, "today") + elements(root, "ready-by"):
        assert x0 <= float(line.get("x1")) <= x1


@settings(max_examples=60, deadline=None)
@given(timelines(), WIDTHS)
def test_no_two_labels_overlap(timeline, width):
    boxes = labels(parse(render_timeline(timeline, width=width)))
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b)


@pytest.mark.parametrize("width", [WIDTH, 460])
def test_twelve_courses_of_twelve_sessions_over_two_years(width):
    timeline = twelve_by_twelve()
    root = parse(render_timeline(timeline, width=width))
    assert len(elements(root, "session")) == 144
    boxes = labels(root)
    assert all(not a.overlaps(b) for a, b in combinations(boxes, 2))
    # The axis keeps several dates, thinned to fit, and every course is named.
    assert 4 <= len(elements(root, "tick-label")) <= 30
    assert len(elements(root, "course-name")) == 12 + 1  # and the warnings lane
    assert len(elements(root, "marker")) == 2


def test_one_session():
    timeline = Timeline(
        courses=(course("Microneedling + exosome", date(2026, 12, 10), 1, 30),),
        today=TODAY,
    )
    root = parse(render_timeline(timeline))
    assert len(elements(root, "session")) == 1
    assert len(elements(root, "downtime-min")) == len(elements(root, "downtime-max")) == 1
    assert elements(root, "today") and not elements(root, "ready-by")


def test_text_is_escaped_and_alternative_text_is_given():
    timeline = Timeline(
        courses=(course('<script>alert("x")</script> & co', date(2027, 1, 4), 2, 30),),
        today=TODAY,
        ready_by=date(2027, 6, 1),
        markers=(TimelineMarker("lot", date(2027, 2, 3), "Lot <b>7</b> & expired", 0),),
    )
    svg = render_timeline(timeline, id_prefix='x"><script>')
    assert "<script>" not in svg
    root = parse(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert '<script>alert("x")</script> & co' in desc.text  # as text, once parsed
    assert "Lot <b>7</b> & expired" in desc.text
    assert "results keep developing" in desc.text
    assert "results show" not in svg.lower()


def test_downtime_bands_shortest_solid_longest_hatched():
    timeline = Timeline(courses=(course("Laser", date(2027, 1, 4), 1, 30, (3, 7)),), today=TODAY)
    root = parse(render_timeline(timeline))
    (shortest,) = elements(root, "downtime-min")
    (longest,) = elements(root, "downtime-max")
    assert float(shortest.get("width")) < float(longest.get("width"))
    assert longest.get("fill").startswith("url(#")  # a pattern, not a colour alone
    assert not shortest.get("fill").startswith("url(#")


def test_undocumented_downtime_draws_no_band():
    timeline = Timeline(
        courses=(course("Injection", date(2027, 1, 4), 2, 30, (None, None), results=False),),
        today=TODAY,
    )
    root = parse(render_timeline(timeline))
    assert not elements(root, "downtime") and not elements(root, "results")
    assert len(elements(root, "session")) == 2


def test_two_timelines_on_one_page_have_distinct_ids():
    timeline = twelve_by_twelve()
    a, b = render_timeline(timeline, id_prefix="t-1"), render_timeline(timeline, id_prefix="t-2")
    ids = lambda svg: {e.get("id") for e in parse(svg).iter() if e.get("id")}  # noqa: E731
    assert not ids(a) & ids(b)


def test_timeline_of_an_outlook_marks_overlaps():
    microneedling = CourseInput(
        key="0",
        treatment_name="Microneedling",
        sessions=2,
        interval=Interval(1, "days"),
        first_session=date(2027, 1, 4),
        downtime_min_hours=24,
        downtime_max_hours=48,
        results_develop_weeks_min=4,
        results_develop_weeks_max=6,
        catalog_interval=Interval(1, "months"),
    )
    schedule = build_schedule([microneedling], ready_by=date(2027, 3, 1))
    outlook = PlanOutlook(
        schedule=schedule,
        estimate=None,
        warnings=word_warnings(schedule.warnings, today=TODAY),
        ready_by=date(2027, 3, 1),
        today=TODAY,
    )
    timeline = timeline_of(outlook)
    assert [len(c.sessions) for c in timeline.courses] == [2]
    assert timeline.ready_by == date(2027, 3, 1) and timeline.today == TODAY
    assert [m.kind for m in timeline.markers] == ["overlap"]
    assert timeline.markers[0].day == date(2027, 1, 5)
    assert timeline.courses[0].results_until_max == date(2027, 1, 5) + timedelta(weeks=6)


def test_an_investigational_course_draws_no_results_band_a_documented_one_does():
    """The patient material says of an investigational course that whether and when results
    appear is what the trial studies (planner/wording.py); its picture must not say "results
    keep developing until about ..." beside it."""
    inputs = [
        CourseInput(
            key=key,
            treatment_name=name,
            sessions=2,
            interval=Interval(1, "months"),
            first_session=first,
            downtime_min_hours=24 if key == "0" else None,
            downtime_max_hours=48 if key == "0" else None,
            results_develop_weeks_min=4,
            results_develop_weeks_max=6,
            catalog_interval=Interval(1, "months"),
        )
        for key, name, first in (
            ("0", "Microneedling", date(2027, 1, 4)),
            ("1", "Injectable exosome (investigational)", date(2027, 4, 5)),
        )
    ]
    outlook = PlanOutlook(
        schedule=build_schedule(inputs, ready_by=None),
        estimate=None,
        investigational_courses=frozenset({"1"}),
        today=TODAY,
    )
    timeline = timeline_of(outlook)
    documented, investigational = timeline.courses
    assert documented.results_until_max == date(2027, 2, 4) + timedelta(weeks=6)
    assert investigational.name == "Injectable exosome (investigational)"
    assert investigational.results_until_min is None and investigational.results_until_max is None

    svg = render_timeline(timeline)
    root = parse(svg)
    assert [g.get("data-course") for g in elements(root, "results")] == ["0"]
    description = root.find(f"{SVG}desc").text
    assert description.count("results keep developing") == 1  # the documented course's only


def test_the_legend_names_no_results_band_when_none_is_drawn():
    timeline = Timeline(
        courses=(course("Injection", date(2027, 1, 4), 2, 30, (None, None), results=False),),
        today=TODAY,
    )
    legend = [e.text for e in elements(parse(render_timeline(timeline)), "legend-label")]
    assert "results keep developing" not in legend
    assert "session" in legend
