"""Reader-facing views. Only Article.objects.published() reaches a reader; staff may preview."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from articles.models import Article, Author, Tag


def home(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.published().with_authors()[:10]
    return render(request, "blog/home.html", {"articles": articles})


def _visible_articles(request: HttpRequest):
    """Staff who may change articles also see drafts (with a banner); everyone else: published."""
    if request.user.is_staff and request.user.has_perm("articles.change_article"):
        return Article.objects.all()
    return Article.objects.published()


def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(_visible_articles(request).with_authors(), slug=slug)
    response = render(request, "blog/article.html", {"article": article})
    if not article.is_public:
        add_never_cache_headers(response)
    return response


def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    articles = Article.objects.published().filter(authors=author).with_authors()
    return render(request, "blog/author.html", {"author": author, "articles": articles})


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    articles = Article.objects.published().filter(tags=tag).with_authors()
    return render(request, "blog/tag.html", {"tag": tag, "articles": articles})
