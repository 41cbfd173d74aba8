"""`{% fixed %}` (blog/templatetags/cikk_fixed.py): rendered once per process, language and
script prefix, never with a page's variables, and afresh after any settings change."""

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import set_script_prefix
from django.utils import translation


def render(source: str, context: dict | None = None) -> str:
    template = engines["django"].from_string("{% load i18n cikk cikk_fixed %}" + source)
    return template.render(context or {}, RequestFactory().get("/"))


def test_a_page_variable_inside_renders_empty_so_nothing_of_a_page_is_frozen():
    template = engines["django"].from_string(
        "{% load cikk_fixed %}{% fixed %}[{{ title }}]{% endfixed %} {{ title }}"
    )
    request = RequestFactory().get("/")
    assert template.render({"title": "Első"}, request) == "[] Első"
    assert template.render({"title": "Második"}, request) == "[] Második"


def test_it_renders_once_and_follows_the_language_and_settings(settings):
    # "Yes" is in Django's own catalogues (Cikk ships Hungarian only).
    template = engines["django"].from_string(
        '{% load i18n cikk cikk_fixed %}{% fixed %}{% site_name %}|{% translate "Yes" %}'
        "{% endfixed %}"
    )
    request = RequestFactory().get("/")
    settings.CIKK_SITE_NAME = "Cikk"
    assert template.render({}, request) == "Cikk|Igen"
    with translation.override("en"):
        assert template.render({}, request) == "Cikk|Yes"
    assert template.render({}, request) == "Cikk|Igen"
    settings.CIKK_SITE_NAME = "Másik lap"  # any settings change starts afresh
    assert template.render({}, request) == "Másik lap|Igen"


def test_site_urls_inside_follow_the_script_prefix():
    template = engines["django"].from_string(
        "{% load cikk cikk_fixed %}{% fixed %}{% site_url 'blog:home' %}{% endfixed %}"
    )
    request = RequestFactory().get("/")
    try:
        set_script_prefix("/magazin/")
        assert template.render({}, request) == "/magazin/"
    finally:
        set_script_prefix("/")
    assert template.render({}, request) == "/"


def test_it_takes_no_arguments():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="no arguments"):
        render("{% fixed valami %}x{% endfixed %}")
