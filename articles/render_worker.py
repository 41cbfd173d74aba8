"""Preloaded by the importer's forkserver (articles.importing._render_pool).

Render workers fork from the forkserver; with this module imported there first, each starts
with Django set up and the renderer (Markdown, its extensions, Pygments, nh3) already
imported and warmed, instead of paying ~0.8 s of CPU for it on every import run.
Nothing here touches the database.
"""

from __future__ import annotations

try:
    import django

    django.setup()
    from articles.render import render

    render("# Cím\n\nSzöveg *kiemeléssel*, $$x$$ és `kód`.\n\n| a |\n|---|\n| 1 |\n")
except Exception:  # noqa: S110 - the workers' own initializer sets Django up then
    pass
