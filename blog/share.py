"""A reviewer's preview: the article exactly as readers will see it, through a share link.

The token (articles.sharing) replaces a login: no admin access and no session are involved.
A tampered or unknown token is a 404; an expired or revoked link a 410, so the reviewer learns
that the link existed but is no longer valid. Never cached, never indexed, and the token never
leaves in a Referer header.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from articles import sharing
from articles.models import Article
from blog.article_page import article_context, render_article


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def share_preview(request: HttpRequest, token: str) -> HttpResponse:
    found = sharing.resolve(token)
    if found.problem == "invalid":
        return _private(render(request, "404.html", status=404))
    if found.problem is not None:
        return _private(
            render(request, "blog/share_gone.html", {"problem": found.problem}, status=410)
        )
    article = Article.objects.with_authors().prefetch_related("tags").get(pk=found.link.article_id)
    body = article.body_html.encode()
    authors, tags = article.author_list(), list(article.tags.all())
    headings = article.render_report.get("headings")
    context = article_context(article, body, headings, authors, tags, share_preview=True)
    return _private(render_article(request, context, body))
