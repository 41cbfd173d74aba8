"""The article admin: list, filters, search, form, preview link, actions and query counts."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from articles.checks import check_article, write_findings
from articles.models import Article, Author, Byline, Tag

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/articles/article/"


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def make_article(slug: str, authors: list[Author] = (), ready: bool = False, **fields) -> Article:
    """An article; `ready` gives it what release needs (an author, a cover with alt text)."""
    fields.setdefault("title", slug.replace("-", " ").title())
    fields.setdefault("description", f"Leírás: {slug}.")
    fields.setdefault("body", f"## {slug}\n\nSzöveg.\n")
    if ready:
        fields.setdefault("image", png_upload(f"{slug}.png"))
        fields.setdefault("image_alt", "Kék téglalap")
        if not authors:
            authors = [Author.objects.get_or_create(name="Próba Péter", slug="proba-peter")[0]]
    article = Article.objects.create(slug=slug, **fields)
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    if authors:  # as the admin does once the bylines are saved
        write_findings(article, check_article(article))
    return article


def form_data(article: Article, **overrides) -> dict:
    """What the change form posts back for `article` (as loaded now), plus overrides."""
    article.refresh_from_db()
    local = timezone.localtime(article.date)
    bylines = list(article.bylines.all())
    data = {
        "title": article.title,
        "slug": article.slug,
        "date_0": local.strftime("%Y-%m-%d"),
        "date_1": local.strftime("%H:%M:%S"),
        "description": article.description,
        "body": article.body,
        "image_source": article.image_source,
        "image_alt": article.image_alt,
        "extra": json.dumps(article.extra),
        "tags": [tag.pk for tag in article.tags.all()],
        "loaded_version": article.version,
        "bylines-TOTAL_FORMS": len(bylines),
        "bylines-INITIAL_FORMS": len(bylines),
        "bylines-MIN_NUM_FORMS": 0,
        "bylines-MAX_NUM_FORMS": 1000,
    }
    if article.released:
        data["released"] = "on"
    for index, byline in enumerate(bylines):
        data[f"bylines-{index}-id"] = byline.pk
        data[f"bylines-{index}-article"] = article.pk
        data[f"bylines-{index}-author"] = byline.author_id
        data[f"bylines-{index}-position"] = byline.position
    data.update(overrides)
    return data


def png_upload(name: str = "borito.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("fo", "fo@example.org", "x")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


# --- The list --------------------------------------------------------------------------------


def test_changelist_columns(admin_client):
    egri, takats = (
        Author.objects.create(name="Egri Máté", slug="egri-mate"),
        Author.objects.create(name="Takáts Bálint", slug="takats-balint"),
    )
    make_article("nvidia", [takats, egri], ready=True, body="TODO kép\n\n## Üres\n")
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    # Byline in byline order, not alphabetical.
    assert "Takáts Bálint, Egri Máté" in html
    assert "piszkozat" in html
    # One error (the TODO), one warning (the empty section).
    assert re.search(r'cikk-count-errors">1</span> / 1', html)


def test_status_filter_and_search(admin_client):
    now = timezone.now()
    make_article("vazlat", released=False)
    make_article("elo", released=True, date=now - timedelta(days=1))
    make_article("kesobb", released=True, date=now + timedelta(days=2))
    make_article("gyartas", body="## Gyártási kihozatal\n\nA yield.\n")

    def titles(query: str) -> set[str]:
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200
        return {a.slug for a in response.context["cl"].result_list}

    assert titles("?status=draft") == {"vazlat", "gyartas"}
    assert titles("?status=live") == {"elo"}
    assert titles("?status=scheduled") == {"kesobb"}
    assert titles("?q=yield") == {"gyartas"}
    assert titles("?q=gyartasi") == {"gyartas"}  # accent-insensitive through search_text


def test_author_filter(admin_client):
    egri = Author.objects.create(name="Egri Máté", slug="egri-mate")
    make_article("egyik", [egri])
    make_article("masik")
    response = admin_client.get(CHANGELIST + f"?authors__id__exact={egri.pk}")
    assert [a.slug for a in response.context["cl"].result_list] == ["egyik"]


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow(admin_client):
    authors = [Author.objects.create(name=f"Szerző {i}", slug=f"szerzo-{i}") for i in range(6)]
    for i in range(3):
        make_article(f"kevés-{i}", authors[i : i + 2], body=f"[l](/cikk/kevés-{i + 1}/)\n")
    few = _changelist_queries(admin_client)
    more_authors = [Author.objects.create(name=f"Író {i}", slug=f"iro-{i}") for i in range(20)]
    for i in range(27):
        make_article(
            f"sok-{i}",
            more_authors[i % 18 : i % 18 + 3],
            body=f"[l](/cikk/sok-{i + 1}/) ![](/media/x{i}.png)\n",
            description="Ugyanaz a leírás mindenhol.",
        )
    assert Article.objects.count() == 30
    many = _changelist_queries(admin_client)
    print(f"changelist queries: 3 articles={few}, 30 articles={many}")
    assert many == few, (few, many)
    # session, user, author filter, count, page, bylines, checks context, 2 × date hierarchy
    assert few <= 9


# --- The form --------------------------------------------------------------------------------


def test_add_form_has_markdownx_widget_and_preview_media(admin_client):
    response = admin_client.get(reverse("admin:articles_article_add"))
    html = response.content.decode()
    assert 'class="markdownx"' in html or "markdownx-editor" in html
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in html
    for asset in (
        "katex/katex.min.css",
        "css/content.css",
        "js/admin-editor.js",
    ):
        assert asset in html
    assert "katex.min.js" not in html and "auto-render" not in html  # math comes typeset
    assert 'name="body_html"' not in html
    assert 'id="id_slug"' in html and "prepopulated" in html
    # No inline script of our own (a strict CSP comes later).
    assert "cikkTypeset" not in html


def test_change_form_shows_findings_and_no_body_html(admin_client):
    article = make_article("hibas", body="TODO kell kép is\n\n## Üres\n", image_source="/a/b.jpg")
    response = admin_client.get(change_url(article))
    html = response.content.decode()
    assert "TODO kell kép is" in html
    assert "cikk-finding-error" in html
    assert "/a/b.jpg" in html
    assert 'name="body_html"' not in html
    assert f'name="loaded_version" value="{article.version}"' in html
    assert 'href="/cikk/hibas/"' in html  # preview link


def test_admin_save_renders_body_and_keeps_byline_order(admin_client):
    egri = Author.objects.create(name="Egri Máté", slug="egri-mate")
    takats = Author.objects.create(name="Takáts Bálint", slug="takats-balint")
    article = make_article("sorrend", [egri, takats])
    data = form_data(article, body="Új **szöveg** $$x^2$$")
    data["bylines-0-position"], data["bylines-1-position"] = 1, 0
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.with_authors().get(pk=article.pk)
    assert "<strong>szöveg</strong>" in article.body_html
    assert [a.name for a in article.author_list()] == ["Takáts Bálint", "Egri Máté"]


def test_cover_upload_checked_hashed_and_thumbnailed(admin_client):
    article = make_article("borito")
    response = admin_client.post(change_url(article), {**form_data(article), "image": png_upload()})
    assert response.status_code == 302
    article.refresh_from_db()
    assert re.fullmatch(r"covers/[0-9a-f]{32}\.png", article.image.name)
    assert (article.image_width, article.image_height) == (40, 30)
    html = admin_client.get(change_url(article)).content.decode()
    assert f'<img src="{article.image.url}"' in html and "cikk-cover-thumb" in html


def test_cover_upload_refuses_fake_image(admin_client):
    article = make_article("hamis-borito")
    fake = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = admin_client.post(change_url(article), {**form_data(article), "image": fake})
    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors
    article.refresh_from_db()
    assert not article.image


def test_view_on_site_opens_draft_for_staff(admin_client):
    article = make_article("vazlat-cikk", released=False)
    html = admin_client.get(change_url(article)).content.decode()
    match = re.search(r'href="(/admin/r/\d+/\d+/)"', html)
    assert match, "view on site link missing"
    response = admin_client.get(match.group(1), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/cikk/vazlat-cikk/")


# --- Bulk actions ----------------------------------------------------------------------------


def _action(client, action: str, articles: list[Article], **extra):
    data = {"action": action, "_selected_action": [a.pk for a in articles], **extra}
    return client.post(CHANGELIST, data, follow=True)


def test_release_and_withdraw_count_only_changed(admin_client):
    clean = [
        make_article(f"tiszta-{i}", ready=True, date=timezone.now() - timedelta(days=1))
        for i in range(2)
    ]
    already = make_article("mar-kint", released=True, date=timezone.now() - timedelta(days=2))
    versions = {a.pk: a.version for a in [*clean, already]}
    response = _action(admin_client, "release", [*clean, already])
    assert "2 cikk megjelentetve." in [str(m) for m in response.context["messages"]]
    for article in clean:
        article.refresh_from_db()
        assert article.released and article.version == versions[article.pk] + 1
    already.refresh_from_db()
    assert already.version == versions[already.pk]  # unchanged: not bumped
    response = _action(admin_client, "withdraw", [*clean, already])
    assert "3 cikk visszavonva." in [str(m) for m in response.context["messages"]]
    assert not Article.objects.filter(released=True).exists()


def test_release_with_errors_asks_for_confirmation(admin_client):
    broken = make_article("hibas-cikk", body="TODO kell kép is\n")
    fine = make_article("jo-cikk")
    response = admin_client.post(
        CHANGELIST, {"action": "release", "_selected_action": [broken.pk, fine.pk]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "TODO kell kép is" in html and 'name="confirm" value="yes"' in html
    assert not Article.objects.filter(released=True).exists()  # nothing released yet
    response = _action(admin_client, "release", [broken, fine], confirm="yes")
    assert "2 cikk megjelentetve." in [str(m) for m in response.context["messages"]]
    assert Article.objects.filter(released=True).count() == 2


def test_release_keeps_a_revision_per_article(admin_client, superuser):
    from reversion.models import Version

    articles = [make_article(f"rev-{i}", ready=True) for i in range(2)]
    _action(admin_client, "release", articles)
    for article in articles:
        versions = Version.objects.get_for_object(article)
        assert versions.count() == 1
        assert versions[0].revision.user == superuser
        # Its own revision (with its byline), not shared with the other article.
        revision = versions[0].revision
        assert revision.version_set.filter(content_type__model="article").count() == 1


# --- Authors and tags ------------------------------------------------------------------------


def test_author_admin_lists_articles_and_autocomplete(admin_client):
    egri = Author.objects.create(name="Egri Máté", slug="egri-mate")
    article = make_article("egri-cikke", [egri])
    html = admin_client.get(reverse("admin:articles_author_change", args=[egri.pk])).content
    assert change_url(article).encode() in html
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "egri", "app_label": "articles", "model_name": "byline", "field_name": "author"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Egri Máté"]


def test_tag_admin(admin_client):
    Tag.objects.create(name="Befektetés", slug="befektetes")
    response = admin_client.get(reverse("admin:articles_tag_changelist") + "?q=befek")
    assert response.status_code == 200 and "Befektetés" in response.content.decode()


def test_a_new_article_with_an_author_never_shows_a_stored_no_author_error(admin_client):
    """save() checks the row before its bylines exist; what the list shows is checked after."""
    author = Author.objects.create(name="Egri Máté", slug="egri-mate")
    article = make_article("kesz", ready=True)
    Byline.objects.filter(article=article).delete()
    article.refresh_from_db()
    assert article.finding_errors is None  # a byline change leaves the findings unchecked
    Byline.objects.create(article=article, author=author, position=0)
    write_findings(article, check_article(article))
    article.refresh_from_db()
    assert "no_author" not in {f["code"] for f in article.findings}
    assert article.finding_errors == 0
