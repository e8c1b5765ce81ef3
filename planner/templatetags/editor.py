"""{% error_slots plan_form formset oob=oob %}: every field's error slot, exactly as
planner/_field_errors.html draws one, in one tag. The editor's recalculation answers with
the slot of every field (28 for three courses) so htmx clears fixed errors out of band; an
{% include %} per field was a fifth of that fragment's rendering time."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def error_slots(*forms, oob: bool = False) -> SafeString:
    # Every value is escaped here, as the template's autoescaping would.
    swap = ' data-hx-swap-oob="true"' if oob else ""
    slots = []
    for form in _flat(forms):
        form_errors = form.errors
        # By field name, not bound field: a bound field only for a field with errors.
        for name in form.fields:
            errors = ""
            if form_errors.get(name):
                field = form[name]
                messages = "".join(f'<p class="field-error">{escape(e)}</p>' for e in field.errors)
                errors = f'<div id="{escape(field.auto_id)}_error">{messages}</div>'
            slots.append(
                f'<div id="err-{escape(form.add_prefix(name))}" class="field-error-slot"{swap}>'
                f"{errors}</div>\n"
            )
    return mark_safe("".join(slots))


def _flat(items):
    for item in items:
        if hasattr(item, "forms"):  # a formset
            yield from item.forms
        else:
            yield item
