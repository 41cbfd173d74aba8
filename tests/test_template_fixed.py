"""`{% fixed %}` (blog.templating.FixedExtension): rendered once per process, language and
script prefix, afresh after any settings change, and never with a page's variables."""

import pytest
from django.template import engines
from django.urls import set_script_prefix
from django.utils import translation
from jinja2 import TemplateSyntaxError


def template(source: str):
    return engines["jinja2"].from_string(source)


def test_a_page_variable_inside_is_refused_when_the_template_compiles():
    with pytest.raises(TemplateSyntaxError, match="may not use 'title'"):
        template("{% fixed %}[{{ title }}]{% endfixed %} {{ title }}")
    with pytest.raises(TemplateSyntaxError, match="may not use 'article'"):
        template("{% fixed %}{% if article %}x{% endif %}{% endfixed %}")


def test_it_renders_once_and_follows_the_language_and_settings(settings):
    # "Yes" is in Django's own catalogues (Cikk ships Hungarian only).
    page = template('{% fixed %}{{ site_name() }}|{{ _("Yes") }}{% endfixed %} {{ n }}')
    settings.CIKK_SITE_NAME = "Cikk"
    assert page.render({"n": 1}) == "Cikk|Igen 1"
    assert page.render({"n": 2}) == "Cikk|Igen 2"  # the page's own values still change
    with translation.override("en"):
        assert page.render({"n": 3}) == "Cikk|Yes 3"
    assert page.render({"n": 4}) == "Cikk|Igen 4"
    settings.CIKK_SITE_NAME = "Másik lap"  # any settings change starts afresh
    assert page.render({"n": 5}) == "Másik lap|Igen 5"


def test_it_is_rendered_once_not_per_page(monkeypatch):
    calls = []
    env = engines["jinja2"].env
    monkeypatch.setitem(env.globals, "site_name", lambda: calls.append(1) or "Cikk")
    page = template("{% fixed %}{{ site_name() }}{% endfixed %}")
    assert [page.render({}) for _ in range(3)] == ["Cikk"] * 3
    assert calls == [1]


def test_site_urls_inside_follow_the_script_prefix():
    page = template("{% fixed %}{{ site_url('blog:home') }}{% endfixed %}")
    try:
        set_script_prefix("/magazin/")
        assert page.render({}) == "/magazin/"
    finally:
        set_script_prefix("/")
    assert page.render({}) == "/"


def test_it_takes_no_arguments():
    with pytest.raises(TemplateSyntaxError, match="no arguments"):
        template("{% fixed valami %}x{% endfixed %}")
