"""The plan editor's widgets render through Jinja2 (clinic.form_rendering, for speed): the
page must be exactly what Django's own template renderer made of it, escaping included,
as first shown and when a save comes back with errors. The differences allowed are none a
browser shows: how a quote is escaped (Jinja2's MarkupSafe writes &#34; and &#39; where
Django writes &quot; and &#x27;) and how much whitespace runs between two tags (a run of
any length renders as one space; a tag with none after it still differs)."""

import re
from urllib.parse import urlencode

import pytest
from django.forms.renderers import DjangoTemplates
from django.urls import reverse

from bench.editor_form import editor_fields
from clinic.catalog_seed import MICRONEEDLING
from planner.forms.plans import CourseForm, CourseFormSet, PlanForm
from tests.factories.planner import make_plan

pytestmark = pytest.mark.django_db
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def without_tokens(html: str) -> str:
    """The page with its per-request CSRF tokens (masked afresh on every render) blanked,
    quotes escaped as Django escapes them, and each run of whitespace between tags one
    space."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    html = re.sub(r">\s+<", "> <", html)
    return html.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


def both_ways(monkeypatch, request) -> tuple[str, str]:
    """`request()`'s page as rendered now, and with Django's default widget renderer."""
    fast = without_tokens(request().content.decode())
    with monkeypatch.context() as patched:
        django = DjangoTemplates()
        patched.setattr(PlanForm, "default_renderer", django)
        patched.setattr(CourseForm, "default_renderer", django)
        patched.setattr(CourseFormSet, "renderer", django)
        slow = without_tokens(request().content.decode())
    return fast, slow


def test_the_editor_page_is_the_same_html_as_through_django_templates(
    desk_client, catalog, patient, monkeypatch
):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[MICRONEEDLING], sessions=3)
    plan.title = HOSTILE
    plan.notes = HOSTILE
    plan.save()
    edit = reverse("plan-edit", args=[plan.pk])

    # The title's field went through Jinja2 (MarkupSafe's way of escaping a quote).
    assert "alert(&#34;x&#34;)" in desk_client.get(edit).content.decode()
    fast, slow = both_ways(monkeypatch, lambda: desk_client.get(edit))

    assert "<script>alert" not in fast
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in fast
    assert fast == slow


def test_a_save_with_errors_shows_the_same_html_as_through_django_templates(
    desk_client, catalog, patient, monkeypatch
):
    plan = make_plan(patient, catalog[MICRONEEDLING], catalog[MICRONEEDLING], sessions=3)
    edit = reverse("plan-edit", args=[plan.pk])
    fields = editor_fields(desk_client.get(edit).content.decode())
    wrong = {"ready_by": "not a date", "courses-0-sessions": "0", "title": HOSTILE}
    body = [(n, v) for n, v in fields if n not in wrong] + [*wrong.items(), ("action", "save")]

    def save():
        return desk_client.post(
            edit, urlencode(body), content_type="application/x-www-form-urlencoded"
        )

    fast, slow = both_ways(monkeypatch, save)

    assert 'class="errorlist' in fast or "field-error" in fast
    assert "<script>alert" not in fast
    assert fast == slow
