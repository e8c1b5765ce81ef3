"""{% plan_timeline outlook "id-prefix" narrow=False %}: the plan's timeline picture
(planner/timeline.py), drawn wide or narrow."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from planner.timeline import NARROW, WIDTH, render_timeline, timeline_of

register = template.Library()


@register.simple_tag
def plan_timeline(outlook, id_prefix: str = "timeline", narrow: bool = False) -> SafeString:
    width = NARROW if narrow else WIDTH
    # render_timeline escapes every text it writes, so its SVG is safe to insert as is.
    return mark_safe(render_timeline(timeline_of(outlook), id_prefix=id_prefix, width=width))
