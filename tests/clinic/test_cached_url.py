"""{% url %} remembers the URLs it reversed (clinic/templatetags/cached_url.py) and still
writes what Django's tag writes: after a change of script prefix or URL patterns too."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, path, reverse, set_script_prefix

from clinic.templatetags import cached_url
from clinic.templatetags.cached_url import CachedURLNode


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_every_url_tag_is_the_cached_one():
    assert isinstance(Template("{% url 'home' %}").nodelist[0], CachedURLNode)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{% url 'plan-detail' 42 %}", reverse("plan-detail", args=[42])),
        ("{% url 'plan-detail' pk=42 %}", reverse("plan-detail", kwargs={"pk": 42})),
        ("{% url 'plan-detail' pk %}", reverse("plan-detail", args=[7])),
        ("{% url name pk %}", reverse("plan-detail", args=[7])),
        ("{% url 'admin:index' %}", reverse("admin:index")),
        ("{% url 'home' as home %}<{{ home }}>", f"<{reverse('home')}>"),
    ],
)
def test_the_same_urls_as_django(source, expected):
    cached_url._reverse.cache_clear()
    for _ in range(2):  # reversed, then remembered
        assert render(source, pk=7, name="plan-detail") == expected
    assert cached_url._reverse.cache_info().hits >= 1


def test_a_missing_url_still_fails_loudly_or_is_blank_with_as():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")
    assert render("{% url 'no-such-view' as missing %}[{{ missing }}]") == "[]"


def test_a_script_prefix_is_followed():
    plain = render("{% url 'plan-detail' 42 %}")
    set_script_prefix("/clinic/")
    try:
        assert render("{% url 'plan-detail' 42 %}") == "/clinic" + plain
    finally:
        clear_script_prefix()
    assert render("{% url 'plan-detail' 42 %}") == plain


urlpatterns = [path("elsewhere/<int:pk>/", lambda request, pk: None, name="plan-detail")]


def test_other_url_patterns_are_followed():
    before = render("{% url 'plan-detail' 42 %}")
    with override_settings(ROOT_URLCONF=__name__):
        assert render("{% url 'plan-detail' 42 %}") == "/elsewhere/42/"
    assert render("{% url 'plan-detail' 42 %}") == before


def test_other_arguments_are_reversed_every_time():
    class Pk:
        def __str__(self):
            return "42"

    cached_url._reverse.cache_clear()
    assert render("{% url 'plan-detail' pk %}", pk=Pk()) == reverse("plan-detail", args=[42])
    assert cached_url._reverse.cache_info().currsize == 0


def test_true_is_not_taken_for_one():
    assert render("{% url 'plan-detail' 1 %}") == reverse("plan-detail", args=[1])
    with pytest.raises(NoReverseMatch):  # as Django's tag: "True" is no plan number
        render("{% url 'plan-detail' pk %}", pk=True)
