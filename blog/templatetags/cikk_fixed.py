"""`{% fixed %}…{% endfixed %}`: markup that depends on nothing but settings, translations and
URLs, rendered once per process, language and script prefix.

Why: the frame of every reader page (templates/base.html: stylesheets, feed links, header,
footer) is some twenty `{% static %}`, `{% site_url %}`, `{% site_name %}` and `{% translate %}`
tags whose output never changes between requests, yet each costs a translation or storage
look-up on every page (bench/README.md, Serving). The block renders its content with a context
that holds no page variables (`Context.new()`), so nothing of a request or an article can be
frozen into it: a variable inside renders empty, in tests as in production. Any settings change
(tests' override_settings) starts afresh.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

_generation = 0


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    global _generation
    _generation += 1


class FixedNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.rendered: dict[tuple, SafeString] = {}
        self.generation = _generation

    def render(self, context: template.Context) -> SafeString:
        if self.generation != _generation:
            self.rendered, self.generation = {}, _generation
        key = (get_language(), get_script_prefix(), context.autoescape)
        text = self.rendered.get(key)
        if text is None:
            text = self.nodelist.render(context.new())
            self.rendered[key] = text
        return text


@register.tag
def fixed(parser: template.base.Parser, token: template.base.Token) -> FixedNode:
    """`{% fixed %}…{% endfixed %}` (no arguments)."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% fixed %} takes no arguments")
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    return FixedNode(nodelist)
