"""{% plan_timelines outlook "id-prefix" as pictures %}: the plan's timeline picture
(planner/timeline.py), drawn wide (`pictures.wide`) and narrow (`pictures.narrow`, ids from
"id-prefix-narrow") in one go, so the words they share are written once."""

from dataclasses import dataclass

from django import template
from django.utils.safestring import SafeString, mark_safe

from planner.timeline import render_timeline_pair, timeline_of

register = template.Library()


@dataclass(frozen=True)
class Pictures:
    wide: SafeString
    narrow: SafeString


@register.simple_tag
def plan_timelines(outlook, id_prefix: str = "timeline") -> Pictures:
    wide, narrow = render_timeline_pair(timeline_of(outlook), id_prefix=id_prefix)
    # render_timeline escapes every text it writes, so its SVG is safe to insert as is.
    return Pictures(wide=mark_safe(wide), narrow=mark_safe(narrow))
