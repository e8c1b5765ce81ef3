"""{% url %}, remembering each URL it has reversed: loaded as a builtin in settings.TEMPLATES,
so it takes the place of Django's tag in every template and behaves the same.

Why: a page names some 25 URLs (the header's links, a form per action), and Django's
reverse() walks the URL patterns for each: about a tenth of rendering the plan page. A URL is
a function of the URL patterns, the script prefix, the view name, its arguments and the
current application: that is the key. The URL patterns are taken as their resolver, which
Django replaces whenever they change (clear_url_caches, a test's override of ROOT_URLCONF), so
a stale URL is never served. Only plain arguments (numbers and text, as pages pass) are
remembered; anything else is reversed every time."""

import functools

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


def _plain(value) -> bool:
    # bool is an int, but True would share a key with 1.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


@functools.lru_cache(maxsize=4096)
def _reverse(resolver, prefix, view_name, args, kwargs, current_app) -> str:
    # `resolver` and `prefix` are in the key because the URL depends on them; reverse()
    # reads both itself, as they are now.
    del resolver, prefix
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


def cached_reverse(view_name, args: list, kwargs: dict, current_app) -> str:
    """reverse(), remembered for plain arguments."""
    if not (
        isinstance(view_name, str)
        and all(_plain(value) for value in (*args, *kwargs.values()))
        and (current_app is None or isinstance(current_app, str))
    ):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _reverse(
        get_resolver(get_urlconf()),
        get_script_prefix(),
        str(view_name),
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
    )


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        # Django's URLNode.render, with cached_reverse for reverse.
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
