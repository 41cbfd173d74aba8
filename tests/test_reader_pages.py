"""What a reader gets on each page: content, Hungarian dates, meta tags, JSON-LD, landmarks."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.views.defaults import server_error

from blog.content import analyse_body, reading_minutes
from blog.templating import hu_date
from tests.factories import jpeg_bytes, make_article, make_author
from tests.page_tree import parse

BUDAPEST = ZoneInfo("Europe/Budapest")
SITE = "https://cikk.example"
LONG_BODY = "\n\n".join(
    [
        "Bevezető bekezdés " + "szó " * 300,
        "## Hogy jutottunk idáig?",
        "Szöveg " * 50,
        "## Gyártási Kihozatal",
        "### Többchip Modulok",
        "Még " * 60,
        "Képlet: $$x^2 < y$$ a szövegben.",
    ]
)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.CIKK_SITE_URL = SITE


# ---- Hungarian dates and reading time -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 12, 24, 10, 0, tzinfo=BUDAPEST), "2024. december 24."),
        (datetime(2024, 1, 5, tzinfo=BUDAPEST), "2024. január 5."),
        (datetime(2024, 8, 31, 23, 30, tzinfo=ZoneInfo("UTC")), "2024. szeptember 1."),
        (datetime(2025, 3, 1).date(), "2025. március 1."),
        (None, ""),
    ],
)
def test_hungarian_date_needs_no_locale(value, expected):
    assert hu_date(value) == expected


@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (1, 1), (200, 1), (201, 2), (1000, 5)])
def test_reading_minutes(words, minutes):
    assert reading_minutes(words) == minutes


def test_analyse_body_collects_headings_with_ids():
    info = analyse_body(
        '<h2 id="a">Első <em>rész</em></h2><p>egy két három</p>'
        '<div class="custom-text-box"><h2>Doboz</h2></div><h3 id="b">Alrész</h3>'
    )
    assert [(h.level, h.id, h.text) for h in info.headings] == [
        (1, "a", "Első rész"),
        (2, "b", "Alrész"),
    ]
    assert info.toc == []  # fewer than three headings: no table of contents


# ---- Home -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_lists_articles_with_byline_date_description_reading_time(client):
    make_article(
        "Megéri Nvidiába fektetni?",
        date=datetime(2024, 12, 24, 9, 0, tzinfo=BUDAPEST),
        authors=["Egri Máté", "Takáts Bálint"],
        description="Folytatjuk az elemzést.",
        body="szó " * 450,
    )
    make_article("Régebbi", date=datetime(2024, 11, 2, tzinfo=BUDAPEST), authors=["Kiss Anna"])
    page = parse(client.get("/").content)
    cards = page.find_all("article", class_="card")
    assert [c.find("h2").text for c in cards] == ["Megéri Nvidiába fektetni?", "Régebbi"]
    first = cards[0]
    assert first.find("a").attrs["href"] == "/cikk/megeri-nvidiaba-fektetni/"
    byline = first.find("span", class_="byline")
    assert [a.text for a in byline.find_all("a")] == ["Egri Máté", "Takáts Bálint"]
    assert byline.text == "Egri Máté és Takáts Bálint"
    assert first.find("time").text == "2024. december 24."
    assert first.find("time").attrs["datetime"] == "2024-12-24T09:00:00+01:00"
    assert first.find("p", class_="card__description").text == "Folytatjuk az elemzést."
    assert first.find("span", class_="reading-time").text == "3 perc olvasás"


@pytest.mark.django_db
def test_home_paginates_ten_per_page(client):
    now = timezone.now()
    for i in range(23):
        make_article(f"Cikk száma {i:02d}", date=now - timedelta(hours=i + 1))
    first = parse(client.get("/").content)
    titles = [h.text for h in first.find_all("h2", class_="card__title")]
    assert titles == [f"Cikk száma {i:02d}" for i in range(10)]
    assert first.find("a", rel="next").attrs["href"] == "?oldal=2"
    second = parse(client.get("/?oldal=2").content)
    assert second.find("h2", class_="card__title").text == "Cikk száma 10"
    assert second.find("link", rel="canonical").attrs["href"] == f"{SITE}/?oldal=2"
    assert second.find("a", rel="prev").attrs["href"] == "/"
    third = parse(client.get("/?page=3").content)
    assert len(third.find_all("article", class_="card")) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "4", "-1", "abc", "1.5", "9" * 40, "٣", "%00"])
def test_invalid_page_numbers_are_404_not_500(client, value):
    for _ in range(25):
        make_article()
    assert client.get("/", {"oldal": value}).status_code == 404


@pytest.mark.django_db
def test_empty_home_is_friendly(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Még nincs megjelent cikk." in response.content.decode()


@pytest.mark.django_db
def test_covers_are_responsive_first_eager_then_lazy(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_article("Első", cover=jpeg_bytes(2000, 1000), date=timezone.now() - timedelta(hours=1))
        make_article("Második", cover=jpeg_bytes(800, 600, "#aa3333"))
    page = parse(client.get("/").content)
    pictures = page.find_all("picture")
    assert len(pictures) == 2
    first_img, second_img = (p.find("img") for p in pictures)
    assert first_img.attrs["fetchpriority"] == "high" and "loading" not in first_img.attrs
    assert second_img.attrs["loading"] == "lazy"
    assert (first_img.attrs["width"], first_img.attrs["height"]) == ("2000", "1000")
    webp = pictures[0].find("source", type="image/webp").attrs["srcset"]
    assert [part.split()[1] for part in webp.split(", ")] == ["480w", "960w", "1600w"]
    assert "-480w.webp" in webp
    srcset = first_img.attrs["srcset"]
    assert [part.split()[1] for part in srcset.split(", ")] == ["480w", "960w", "1600w", "2000w"]
    # An 800 px original: no rendition wider than itself.
    webp2 = pictures[1].find("source").attrs["srcset"]
    assert [part.split()[1] for part in webp2.split(", ")] == ["480w", "800w"]


# ---- Article ----------------------------------------------------------------------------------


@pytest.fixture
def seed_like(db, django_capture_on_commit_callbacks):
    make_author("Egri Máté", bio="Befektetésekről ír.")
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article(
            "Megéri Nvidiába fektetni? <script>",
            description='A "chipek" & a piac.',
            date=datetime(2024, 12, 24, 8, 0, tzinfo=BUDAPEST),
            authors=["Egri Máté", "Takáts Bálint"],
            tags=["Chipek", "AI"],
            body=LONG_BODY,
            cover=jpeg_bytes(1600, 900),
            slug="megeri-nvidiaba-fektetni",
        )
    return article


def test_article_page_content(client, seed_like):
    response = client.get("/cikk/megeri-nvidiaba-fektetni/")
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find("html").attrs["lang"] == "hu"
    assert page.find("h1").text == "Megéri Nvidiába fektetni? <script>"
    assert "<script>" not in response.content.decode().split("<body>")[1].split("</h1>")[0]
    article = page.find("article", class_="article")
    assert [a.text for a in article.find("span", class_="byline").find_all("a")] == [
        "Egri Máté",
        "Takáts Bálint",
    ]
    assert article.find("span", class_="byline").find("a").attrs["href"] == "/szerzo/egri-mate/"
    assert article.find("time").text == "2024. december 24."
    assert article.find("span", class_="reading-time").text == "3 perc olvasás"
    assert [a.text for a in article.find("ul", class_="tag-list").find_all("a")] == ["AI", "Chipek"]
    toc = page.find("nav", class_="toc")
    assert [(a.attrs["href"], a.text) for a in toc.find_all("a")] == [
        ("#hogy-jutottunk-idaig", "Hogy jutottunk idáig?"),
        ("#gyartasi-kihozatal", "Gyártási Kihozatal"),
        ("#tobbchip-modulok", "Többchip Modulok"),
    ]
    body = page.find("div", class_="article-body")
    assert body.find("h2", id="gyartasi-kihozatal") is not None
    cover = article.find("picture", class_="article-cover").find("img")
    assert cover.attrs["fetchpriority"] == "high"


def test_the_toc_comes_from_the_stored_report_not_from_the_html(client, db, monkeypatch):
    """A reader's request parses no HTML for the table of contents: it reads the headings the
    renderer stored when the article was saved (a formula in a heading is named by its TeX)."""
    import blog.article_page
    import blog.content

    body = "## Első $$x^2$$\n\nszöveg\n\n### Második\n\nszöveg\n\n## Harmadik\n\nvége"
    make_article("Képletes", body=body)

    def no_parsing(html):
        raise AssertionError("the stored HTML was parsed for the table of contents")

    monkeypatch.setattr(blog.content, "analyse_body", no_parsing)
    monkeypatch.setattr(blog.article_page, "analyse_body", no_parsing)
    toc = parse(client.get("/cikk/kepletes/").content).find("nav", class_="toc")
    assert [(a.attrs["href"], a.text) for a in toc.find_all("a")] == [
        ("#elso-x2", "Első x^2"),
        ("#masodik", "Második"),
        ("#harmadik", "Harmadik"),
    ]
    levels = [li.attrs["class"] for li in toc.find_all("li")]
    assert levels == [f"toc__item toc__item--{n}" for n in (1, 2, 1)]


def test_a_row_stored_without_report_headings_still_gets_its_toc(client, db):
    article = make_article("Régi", body="## Egy\n\na\n\n## Kettő\n\nb\n\n## Három\n\nc")
    type(article).objects.filter(pk=article.pk).update(render_report={})
    toc = parse(client.get("/cikk/regi/").content).find("nav", class_="toc")
    assert [a.text for a in toc.find_all("a")] == ["Egy", "Kettő", "Három"]


def test_stored_headings_that_are_not_a_list_fall_back_to_the_html(client, db):
    """The headings are read as JSON text and parsed once per distinct text: anything but a
    list (a hand-edited report) is not trusted, the HTML is read instead."""
    article = make_article("Furcsa", body="## Egy\n\na\n\n## Kettő\n\nb\n\n## Három\n\nc")
    report = {**article.render_report, "headings": {"level": 2, "id": "x", "text": "Hamis"}}
    type(article).objects.filter(pk=article.pk).update(render_report=report)
    toc = parse(client.get("/cikk/furcsa/").content).find("nav", class_="toc")
    assert [a.text for a in toc.find_all("a")] == ["Egy", "Kettő", "Három"]


def test_article_without_three_headings_has_no_toc(client, db):
    make_article("Rövid", body="## Egy\n\nszöveg\n\n## Kettő\n\nvége")
    page = parse(client.get("/cikk/rovid/").content)
    assert page.find("nav", class_="toc") is None


def test_article_head_meta(client, seed_like):
    page = parse(client.get("/cikk/megeri-nvidiaba-fektetni/").content)
    canonical = f"{SITE}/cikk/megeri-nvidiaba-fektetni/"
    assert page.find("link", rel="canonical").attrs["href"] == canonical
    assert page.meta("description") == 'A "chipek" & a piac.'
    assert page.meta("og:type") == "article"
    assert page.meta("og:url") == canonical
    assert page.meta("og:title") == "Megéri Nvidiába fektetni? <script>"
    image = page.meta("og:image")
    assert image.startswith(f"{SITE}/media/images/") and image.endswith(".jpg")
    assert page.meta("og:image:width") == "1600"
    assert page.meta("twitter:card") == "summary_large_image"
    assert page.meta("twitter:image") == image
    assert page.meta("article:published_time").startswith("2024-12-24T08:00:00")
    feeds = {
        link.attrs["type"]: link.attrs["href"] for link in page.find_all("link", rel="alternate")
    }
    assert feeds == {"application/rss+xml": "/feed/rss/", "application/atom+xml": "/feed/atom/"}


def test_article_json_ld_is_parsable_and_safe(client, seed_like):
    html = client.get("/cikk/megeri-nvidiaba-fektetni/").content.decode()
    page = parse(html)
    scripts = page.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    raw = scripts[0].text
    assert "<" not in raw and ">" not in raw and "&" not in raw  # escaped as \\u003C etc.
    data = json.loads(raw)
    assert data["@type"] == "Article"
    assert data["headline"] == "Megéri Nvidiába fektetni? <script>"
    assert data["description"] == 'A "chipek" & a piac.'
    assert data["datePublished"] == "2024-12-24T08:00:00+01:00"
    assert data["dateModified"]
    assert [a["name"] for a in data["author"]] == ["Egri Máté", "Takáts Bálint"]
    assert data["author"][0]["url"] == f"{SITE}/szerzo/egri-mate/"
    assert data["image"][0] == page.meta("og:image")
    assert data["mainEntityOfPage"] == f"{SITE}/cikk/megeri-nvidiaba-fektetni/"


def test_article_with_math_loads_katex_css_and_no_script(client, seed_like, db):
    html = client.get("/cikk/megeri-nvidiaba-fektetni/").content.decode()
    page = parse(html)
    scripts = [s.attrs["src"] for s in page.find_all("script") if "src" in s.attrs]
    assert not [src for src in scripts if "katex" in src]  # typeset on the server
    assert "<math" in html and 'class="katex"' in html
    styles = [link.attrs["href"] for link in page.find_all("link", rel="stylesheet")]
    assert styles == [
        "/static/css/site.css",
        "/static/css/content.css",
        "/static/katex/katex.min.css",
    ]
    make_article("Képlet nélkül")
    plain = parse(client.get("/cikk/keplet-nelkul/").content)
    assert [s for s in plain.find_all("script") if "src" in s.attrs] == []
    assert [link.attrs["href"] for link in plain.find_all("link", rel="stylesheet")] == [
        "/static/css/site.css",
        "/static/css/content.css",
    ]


@pytest.mark.parametrize(
    ("body", "loaded"),
    [
        ("| a | b |\n|---|---|\n| 1 | 2 |", True),
        ("$$\n\\sum_{i=1}^{n} i\n$$", True),
        ("Csak szöveg, $$ x $$ szövegközi képlettel.", False),
    ],
)
def test_scroll_regions_script_only_for_tables_and_display_math(client, db, body, loaded):
    make_article("Doboz", body=body)
    page = parse(client.get("/cikk/doboz/").content)
    scripts = [s.attrs["src"] for s in page.find_all("script") if "src" in s.attrs]
    assert ("/static/js/scroll-regions.js" in scripts) is loaded
    if loaded:
        assert scripts == ["/static/js/scroll-regions.js"]  # the only script: no KaTeX


def test_accessibility_landmarks_and_skip_link(client, seed_like):
    page = parse(client.get("/cikk/megeri-nvidiaba-fektetni/").content)
    skip = page.find("a", class_="skip-link")
    assert skip.attrs["href"] == "#tartalom"
    assert page.find("main", id="tartalom") is not None
    assert page.find("header", class_="site-header") is not None
    assert page.find("footer") is not None
    assert page.find("nav", aria_label="Fő navigáció") is not None
    assert page.find("form", role="search") is not None
    for img in page.find_all("img"):
        assert "alt" in img.attrs


def test_related_articles_share_an_author_or_tag_and_are_published(client, seed_like):
    now = timezone.now()
    make_article("Ugyanaz a szerző", authors=["Takáts Bálint"], date=now - timedelta(days=2))
    make_article(
        "Ugyanaz a címke", authors=["Más Valaki"], tags=["AI"], date=now - timedelta(days=3)
    )
    make_article("Semmi köze", authors=["Harmadik Ember"], date=now - timedelta(days=4))
    make_article("Piszkozat rokon", authors=["Egri Máté"], released=False)
    page = parse(client.get("/cikk/megeri-nvidiaba-fektetni/").content)
    related = [a.text for a in page.find("section", class_="related").find_all("a")]
    assert related == ["Ugyanaz a szerző", "Ugyanaz a címke"]


def test_unknown_article_is_hungarian_404(client, db):
    response = client.get("/cikk/nincs-ilyen/")
    assert response.status_code == 404
    page = parse(response.content)
    assert page.find("html").attrs["lang"] == "hu"
    assert page.find("h1").text == "Ez az oldal nem található"


def test_500_page_is_hungarian_and_needs_no_context_or_database(rf):
    # No db fixture: any query would fail the test. Django's handler renders 500.html without
    # a request context (no context processors).
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    page = parse(response.content)
    assert page.find("html").attrs["lang"] == "hu"
    assert page.find("h1").text == "Hiba történt"
    assert page.find("a").attrs["href"] == "/"


# ---- Author and tag pages -----------------------------------------------------------------------


def test_author_page_has_bio_and_published_articles(client, seed_like):
    make_article("Másik cikke", authors=["Egri Máté"], date=timezone.now() - timedelta(days=2))
    make_article("Nem az övé", authors=["Kiss Anna"])
    page = parse(client.get("/szerzo/egri-mate/").content)
    assert page.find("h1").text == "Egri Máté"
    assert page.find("div", class_="bio").text == "Befektetésekről ír."
    titles = [h.text for h in page.find_all("h2", class_="card__title")]
    assert titles == ["Másik cikke", "Megéri Nvidiába fektetni? <script>"]
    assert page.find("link", rel="canonical").attrs["href"] == f"{SITE}/szerzo/egri-mate/"


def test_author_without_published_articles_is_404(client, db):
    make_article("Csak piszkozat", authors=["Rejtett Szerző"], released=False)
    assert client.get("/szerzo/rejtett-szerzo/").status_code == 404
    assert client.get("/szerzo/nincs-ilyen/").status_code == 404


def test_tag_page_lists_tagged_articles(client, seed_like):
    make_article("Más téma", tags=["Kötvények"])
    page = parse(client.get("/cimke/chipek/").content)
    assert page.find("h1").text == "Chipek"
    assert [h.text for h in page.find_all("h2", class_="card__title")] == [
        "Megéri Nvidiába fektetni? <script>"
    ]
    assert client.get("/cimke/nincs/").status_code == 404


def test_robots_txt_names_absolute_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines
