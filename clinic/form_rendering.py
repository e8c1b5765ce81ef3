"""How the busiest forms render their widgets.

Django renders each widget through a template, and a select's every option through an
include of another: on the plan editor (a plan form and a formset of courses, some thirty
widgets with their choices) that was 60 % of the page's time in the template engine.
Django ships the same widget templates for Jinja2, which compiles them to Python; through
its renderer the editor page took 12.8 ms instead of 20.5 (SQLite, bench plan of 3 courses)
and its HTML is the same but for what no browser shows: a quote escaped as &#34; rather
than &quot;, and the whitespace between some tags (tests/planner/test_form_rendering.py).

Only forms that opt in use it (`default_renderer = FAST_WIDGETS`): the admin and any form
with widget templates of its own keep Django's default renderer, since the Jinja2 one
finds only Django's built-in widget templates."""

from django.forms.renderers import Jinja2

FAST_WIDGETS = Jinja2()
