"""Reader-facing views. Only Article.objects.published() reaches a reader; staff with the
change permission may preview a draft at its real URL (with a banner, never cached)."""

from __future__ import annotations

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from articles.models import Article, Author, Byline, Tag
from blog.caching import conditional
from blog.content import absolute_url, analyse_body
from blog.search import MAX_QUERY_LENGTH, highlight, parse_query, search, snippet
from blog.templatetags.cikk import cover_data, iso, site_name_value

PER_PAGE = 10
RELATED_COUNT = 3
# The columns a list card shows (blog/_card.html): never the Markdown source, the HTML or the
# search text, each tens of kB an article (the reading time comes from the stored word_count).
LIST_FIELDS = (
    "title",
    "slug",
    "description",
    "date",
    "image",
    "image_width",
    "image_height",
    "word_count",
)
# What a previous/next/related link needs.
LINK_FIELDS = ("title", "slug", "date")


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PER_PAGE) -> Page:
    """`?oldal=2` (or `?page=2`); anything that is not an existing page is a 404, not a 500."""
    raw = request.GET.get("oldal") or request.GET.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise Http404("Nincs ilyen oldal.")
    try:
        return Paginator(queryset, per_page).page(int(raw))
    except InvalidPage as exc:
        raise Http404("Nincs ilyen oldal.") from exc


def canonical_for(path: str, page: Page) -> str:
    """Absolute canonical URL of a list page: `/` for the first page, `/?oldal=N` after."""
    return absolute_url(path if page.number == 1 else f"{path}?oldal={page.number}")


def _listing(queryset: QuerySet[Article]) -> QuerySet[Article]:
    return queryset.with_authors().only(*LIST_FIELDS)


@require_safe
@conditional()
def home(request: HttpRequest) -> HttpResponse:
    page = paginate(request, _listing(Article.objects.published()))
    return render(
        request,
        "blog/home.html",
        {
            "page": page,
            "articles": page.object_list,
            "canonical": canonical_for(reverse("blog:home"), page),
        },
    )


def can_preview(request: HttpRequest) -> bool:
    """Staff who may change articles see drafts and scheduled articles (with a banner)."""
    user = request.user
    return bool(
        user.is_authenticated and user.is_staff and user.has_perm("articles.change_article")
    )


@require_safe
@conditional(slug_kwarg="slug")
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    preview = can_preview(request)
    visible = Article.objects.all() if preview else Article.objects.published()
    article = get_object_or_404(visible.with_authors().prefetch_related("tags"), slug=slug)
    authors = article.author_list()
    tags = list(article.tags.all())
    published = Article.objects.published().only(*LINK_FIELDS)
    # The date bounds repeat what the Q objects say, so that the database starts its index range
    # at this article's date instead of scanning from today (article_published_idx).
    older = Q(date__lte=article.date) & (Q(date__lt=article.date) | Q(pk__lt=article.pk))
    newer = Q(date__gte=article.date) & (Q(date__gt=article.date) | Q(pk__gt=article.pk))
    context = {
        "article": article,
        "authors": authors,
        "tags": tags,
        "toc": analyse_body(article.body_html).toc,
        "previous": published.filter(older).order_by("-date", "-pk").first(),
        "next": published.filter(newer).order_by("date", "pk").first(),
        "related": _related(article, authors, tags),
        "canonical": absolute_url(article.get_absolute_url()),
        "cover_url": _cover_url(article),
        "with_math": 'class="math' in article.body_html,
    }
    context["json_ld_data"] = _json_ld(article, authors, context)
    response = render(request, "blog/article.html", context)
    if not article.is_public:
        add_never_cache_headers(response)
    return response


def _related(article: Article, authors: list[Author], tags: list[Tag]) -> list[Article]:
    """A few published articles sharing an author or a tag, newest first (one query)."""
    if not authors and not tags:
        return []
    # EXISTS per candidate, not `pk IN (...)`: the database then walks article_published_idx
    # newest first and stops after RELATED_COUNT hits, probing the byline and tag indexes,
    # instead of reading every matching row to sort it.
    shared = Exists(
        Byline.objects.filter(article=OuterRef("pk"), author__in=[a.pk for a in authors])
    ) | Exists(
        Article.tags.through.objects.filter(article=OuterRef("pk"), tag__in=[t.pk for t in tags])
    )
    return list(
        Article.objects.published()
        .filter(shared)
        .exclude(pk=article.pk)
        .only(*LINK_FIELDS)[:RELATED_COUNT]
    )


def _cover_url(article: Article) -> str:
    data = cover_data(article)
    return absolute_url(data["src"]) if data else ""


def _json_ld(article: Article, authors: list[Author], context: dict) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.description,
        "datePublished": iso(article.date),
        "dateModified": iso(article.updated_at),
        "inLanguage": "hu",
        "mainEntityOfPage": context["canonical"],
        "url": context["canonical"],
        "author": [
            {"@type": "Person", "name": a.name, "url": absolute_url(a.get_absolute_url())}
            for a in authors
        ],
        "publisher": {"@type": "Organization", "name": site_name_value()},
    }
    if context["cover_url"]:
        data["image"] = [context["cover_url"]]
    if context["tags"]:
        data["keywords"] = [t.name for t in context["tags"]]
    return data


def _owner_page(request: HttpRequest, template: str, name: str, owner, match, empty: str):
    """An author's or a tag's page: its published articles, paginated; 404 when it has none."""
    page = paginate(request, _listing(Article.objects.published().filter(Exists(match))))
    if not page.paginator.count:
        raise Http404(empty)
    context = {
        name: owner,
        "page": page,
        "articles": page.object_list,
        "canonical": canonical_for(owner.get_absolute_url(), page),
    }
    return render(request, template, context)


@require_safe
@conditional()
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    bylines = Byline.objects.filter(article=OuterRef("pk"), author=author)
    return _owner_page(
        request,
        "blog/author.html",
        "author",
        author,
        bylines,
        "Ennek a szerzőnek még nincs megjelent cikke.",
    )


@require_safe
@conditional()
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    tagged = Article.tags.through.objects.filter(article=OuterRef("pk"), tag=tag)
    return _owner_page(
        request, "blog/tag.html", "tag", tag, tagged, "Ebben a témában még nincs megjelent cikk."
    )


@require_safe
def search_view(request: HttpRequest) -> HttpResponse:
    """`/kereses/?q=`: never a 500, whatever the query (empty, huge, NUL bytes, markup)."""
    raw = request.GET.get("q", "")
    query = parse_query(raw)
    context: dict = {"query": query, "truncated": len(raw) > MAX_QUERY_LENGTH}
    if not query.is_empty:
        # body_html too: the snippet is cut from the article's text.
        results = search(query).with_authors().only(*LIST_FIELDS, "body_html")
        page = paginate(request, results)
        for article in page.object_list:
            article.title_html = highlight(article.title, query.terms)
            article.snippet = snippet(article, query.terms)
        context.update(page=page, articles=page.object_list)
    return render(request, "blog/search.html", context)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers: everything public, not the admin or endless search pages; the sitemap."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /markdownx/",
        f"Disallow: {reverse('blog:search')}",
        "",
        f"Sitemap: {absolute_url(reverse('blog:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
