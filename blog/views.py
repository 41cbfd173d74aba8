"""Reader-facing views. Only Article.objects.published() reaches a reader; staff with the
change permission may preview a draft at its real URL (with a banner, never cached)."""

from __future__ import annotations

from functools import cached_property

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from articles.models import Article, Author, Byline, Tag
from blog.article_page import article_context, find_article, load_page, render_article
from blog.caching import cached_count, conditional, may_be_signed_in
from blog.cards import LIST_FIELDS, cards
from blog.content import absolute_url
from blog.search import (
    MAX_QUERY_LENGTH,
    parse_query,
    result_page,
)

PER_PAGE = 10


def page_number(request: HttpRequest) -> int:
    """`?oldal=2` (or `?page=2`); anything that is not a page number is a 404, not a 500."""
    raw = request.GET.get("oldal") or request.GET.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise Http404("Nincs ilyen oldal.")
    return int(raw)


class _Total:
    """A list's total, counted at most once per content state (kept in the cache): the
    pagination and "N cikk" lines read it, never a COUNT per request."""

    def __init__(self, request: HttpRequest, scope: str, queryset: QuerySet, per_page: int):
        self._request, self._scope, self._queryset = request, scope, queryset
        self.per_page = per_page

    @cached_property
    def count(self) -> int:
        return cached_count(self._queryset, self._scope, self._request)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


class ListPage:
    """One page of a list, read as `per_page + 1` rows: whether an older page exists comes
    from the extra row, so no page costs a COUNT over the archive (the Page interface the
    templates use: number, object_list, has_next/has_previous, paginator.count)."""

    def __init__(
        self, rows: list, number: int, paginator: _Total | _Known, more: bool | None = None
    ) -> None:
        per_page = paginator.per_page
        self.object_list = rows[:per_page]
        self._more = len(rows) > per_page if more is None else more
        self.number = number
        self.paginator = paginator

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self._more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def paginate(
    request: HttpRequest, queryset: QuerySet, scope: str, per_page: int = PER_PAGE
) -> ListPage:
    """The requested page of `queryset` (ordered, newest first); a page past the end is a 404."""
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if number > 1 and not rows:
        raise Http404("Nincs ilyen oldal.")
    return ListPage(rows, number, _Total(request, scope, queryset, per_page))


def canonical_for(path: str, page: ListPage) -> str:
    """Absolute canonical URL of a list page: `/` for the first page, `/?oldal=N` after."""
    return absolute_url(path if page.number == 1 else f"{path}?oldal={page.number}")


def _listing(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """A list page's rows; their bylines come with the cards (blog.cards.cards)."""
    return queryset.only(*LIST_FIELDS)


@require_safe
@conditional()
def home(request: HttpRequest) -> HttpResponse:
    page = paginate(request, _listing(Article.objects.published()), "home")
    return render(
        request,
        "blog/home.html",
        {
            "page": page,
            "cards": cards(page.object_list),
            "canonical": canonical_for(reverse("blog:home"), page),
        },
    )


def can_preview(request: HttpRequest) -> bool:
    """Staff who may change articles see drafts and scheduled articles (with a banner)."""
    if not may_be_signed_in(request):
        return False
    user = request.user
    return bool(
        user.is_authenticated and user.is_staff and user.has_perm("articles.change_article")
    )


@require_safe
@conditional(slug_kwarg="slug")
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    found = find_article(slug, drafts=can_preview(request), now=now)
    if found is None:
        raise Http404("Nincs ilyen cikk.")
    article, body, headings = found
    page = load_page(article, now)
    context = article_context(
        article,
        body,
        headings,
        page.authors,
        page.tags,
        previous=page.previous,
        following=page.next,
        related=page.related,
    )
    response = render_article(request, context, body)
    if not article.is_public:
        add_never_cache_headers(response)
    return response


def _owner_page(request: HttpRequest, template: str, name: str, owner, match, empty: str):
    """An author's or a tag's page: its published articles, paginated; 404 when it has none."""
    scope = f"{name}:{owner.pk}"
    page = paginate(request, _listing(Article.objects.published().filter(Exists(match))), scope)
    if not page.object_list:
        raise Http404(empty)
    context = {
        name: owner,
        "page": page,
        "cards": cards(page.object_list),
        "canonical": canonical_for(owner.get_absolute_url(), page),
    }
    return render(request, template, context)


@require_safe
@conditional(slug_kwarg="slug")
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
@conditional(slug_kwarg="slug")
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    tagged = Article.tags.through.objects.filter(article=OuterRef("pk"), tag=tag)
    return _owner_page(
        request, "blog/tag.html", "tag", tag, tagged, "Ebben a témában még nincs megjelent cikk."
    )


@require_safe
@conditional()
def search_view(request: HttpRequest) -> HttpResponse:
    """`/kereses/?q=`: never a 500, whatever the query (empty, huge, NUL bytes, markup).

    The newest SEARCH_WINDOW matches are ranked (bounded), then the page's ten rows and their
    snippets are read (on SQLite all in one statement: blog.search.sqlite_page). Cacheable:
    the page cache keys it by the normalised query and the content state
    (blog.caching.cache_path)."""
    raw = request.GET.get("q", "")
    query = parse_query(raw)
    context: dict = {"query": query, "truncated": len(raw) > MAX_QUERY_LENGTH}
    if not query.is_empty:
        number = page_number(request)
        results = result_page(query, number, PER_PAGE, LIST_FIELDS)
        if results is None:
            raise Http404("Nincs ilyen oldal.")
        more = number * PER_PAGE < results.total
        page = ListPage(results.articles, number, _Known(results.total, PER_PAGE), more=more)
        context.update(page=page, cards=cards(results.articles), more_than_window=results.more)
    return render(request, "blog/search.html", context)


class _Known:
    """A total already known (the search window's length)."""

    def __init__(self, count: int, per_page: int) -> None:
        self.count, self.per_page = count, per_page

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


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
