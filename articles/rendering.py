"""Moved to the articles.render package; this name stays for code not yet updated."""

from articles.render import *  # noqa: F403
from articles.render import Rendered, render  # noqa: F401
