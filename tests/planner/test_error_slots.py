"""{% error_slots %} (planner/templatetags/editor.py) draws exactly what an include of
planner/_field_errors.html per field drew, escaping what the user typed."""

from django import forms
from django.template import Context, Template


class NameForm(forms.Form):
    name = forms.CharField()
    size = forms.ChoiceField(choices=[("s", "Small")])


def slots_by_include(form, oob):
    template = Template(
        '{% for field in form %}{% include "planner/_field_errors.html" %}{% endfor %}'
    )
    return template.render(Context({"form": form, "oob": oob}))


def slots_by_tag(form, oob):
    return Template("{% load editor %}{% error_slots form oob=oob %}").render(
        Context({"form": form, "oob": oob})
    )


def test_the_tag_draws_what_the_include_drew_and_escapes_the_input():
    form = NameForm({"name": "", "size": "<script>alert(1)</script>"})
    assert not form.is_valid()
    for oob in (True, False):
        assert slots_by_tag(form, oob) == slots_by_include(form, oob)
    html = slots_by_tag(form, True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'id="err-name" class="field-error-slot" data-hx-swap-oob="true"' in html


def test_a_valid_form_has_empty_slots():
    form = NameForm({"name": "Ada", "size": "s"})
    assert form.is_valid()
    assert slots_by_tag(form, False) == (
        '<div id="err-name" class="field-error-slot"></div>\n'
        '<div id="err-size" class="field-error-slot"></div>\n'
    )
