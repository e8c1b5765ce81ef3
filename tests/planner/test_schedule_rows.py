"""{% session_rows %} (planner/templatetags/schedule.py): the schedule table's rows read as
the `day` filter and `date_range` tag write them, every value escaped."""

from datetime import date
from types import SimpleNamespace

from django.template import Context, Template

from clinic.formatting import NOT_DOCUMENTED


def rows(*sessions) -> str:
    template = Template("{% load schedule %}{% session_rows schedule %}")
    return template.render(Context({"schedule": SimpleNamespace(sessions=list(sessions))}))


def session(number, day, name="Microneedling", until_min=None, until_max=None):
    return SimpleNamespace(
        number=number,
        session_date=day,
        treatment_name=name,
        downtime_until_min=until_min,
        downtime_until_max=until_max,
    )


def test_a_row_per_session_with_its_date_treatment_number_and_downtime():
    html = rows(
        session(1, date(2027, 3, 1), until_min=date(2027, 3, 2), until_max=date(2027, 3, 3)),
        session(2, date(2027, 3, 29), until_max=date(2027, 4, 2)),
    )

    assert html == (
        "<tr><td>1 Mar 2027</td><td>Microneedling</td><td>1</td><td>2–3 Mar 2027</td></tr>\n"
        "<tr><td>29 Mar 2027</td><td>Microneedling</td><td>2</td><td>up to 2 Apr 2027</td></tr>"
    )


def test_undocumented_downtime_says_so():
    html = rows(session(1, date(2027, 3, 1)))

    assert f'<td><span class="nd">{NOT_DOCUMENTED}</span></td>' in html


def test_a_treatment_name_is_escaped():
    html = rows(session(1, date(2027, 3, 1), name='<img src=x onerror="alert(1)">'))

    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_no_sessions_no_rows():
    assert rows() == ""
