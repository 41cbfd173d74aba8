"""List cards and meta lines prepared in Python (blog/cards.py): the same links, bylines and
labels that reverse() and the templates gave, whatever the script prefix."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse, set_script_prefix

from articles.models import Byline
from blog.cards import byline, reading_label, slug_url
from tests.factories import make_article, make_author
from tests.page_tree import parse

BUDAPEST = ZoneInfo("Europe/Budapest")
SLUGS = ["a", "megeri-nvidiaba-fektetni", "x_y-1", "2024", "-", "A-Z_09"]


@pytest.mark.parametrize("name", ["blog:article", "blog:author", "blog:tag"])
@pytest.mark.parametrize("prefix", ["/", "/magazin/"])
def test_slug_url_is_what_reverse_gives(name, prefix):
    set_script_prefix(prefix)
    try:
        for slug in SLUGS:
            assert slug_url(name, slug) == reverse(name, kwargs={"slug": slug})
        assert slug_url(name, "a").startswith(prefix)
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("names", "text"),
    [
        ([], ""),
        (["Egri Máté"], "Egri Máté"),
        (["Egri Máté", "Kiss Anna"], "Egri Máté és Kiss Anna"),
        (["Egri Máté", "Kiss Anna", "Tóth Béla"], "Egri Máté, Kiss Anna és Tóth Béla"),
    ],
)
def test_byline_separators(names, text):
    authors = [make_author(name) for name in names]
    parts = byline(authors)
    assert "".join(p["name"] + p["sep"] for p in parts) == text
    assert [p["url"] for p in parts] == [a.get_absolute_url() for a in authors]


@pytest.mark.parametrize(("words", "label"), [(0, "1 perc olvasás"), (201, "2 perc olvasás")])
def test_reading_label(words, label):
    assert reading_label(words) == label


@pytest.mark.django_db
def test_card_escapes_title_description_and_author_names(client):
    make_article(
        "<b>Cím</b> & társai",
        description='Leírás <img src=x onerror="alert(1)">',
        authors=["<script>Név</script>", "Kiss Anna", "Tóth Béla"],
        date=datetime(2024, 12, 24, 9, 0, tzinfo=BUDAPEST),
    )
    response = client.get("/")
    body = response.content.decode()
    assert "<b>Cím</b>" not in body and "<img src=x" not in body and "<script>Név" not in body
    card = parse(response.content).find("article", class_="card")
    assert card.find("h2").text == "<b>Cím</b> & társai"
    assert card.find("p", class_="card__description").text.startswith("Leírás <img")
    byline_span = card.find("span", class_="byline")
    assert byline_span.text == "<script>Név</script>, Kiss Anna és Tóth Béla"
    assert card.find("time").attrs["datetime"] == "2024-12-24T09:00:00+01:00"


@pytest.mark.django_db
def test_article_meta_line_matches_the_cards(client):
    article = make_article(
        "Egy cikk",
        authors=["Egri Máté", "Kiss Anna"],
        date=datetime(2025, 3, 1, 23, 30, tzinfo=BUDAPEST),
        body="szó " * 401,
    )
    page = parse(client.get(article.get_absolute_url()).content)
    meta_line = page.find("p", class_="meta")
    assert meta_line.find("span", class_="byline").text == "Egri Máté és Kiss Anna"
    assert [a.attrs["href"] for a in meta_line.find_all("a")] == [
        "/szerzo/egri-mate/",
        "/szerzo/kiss-anna/",
    ]
    assert meta_line.find("time").text == "2025. március 1."
    assert meta_line.find("span", class_="reading-time").text == "3 perc olvasás"


def test_slug_url_follows_a_changed_urlconf(settings):
    assert slug_url("blog:article", "a") == "/cikk/a/"
    settings.ROOT_URLCONF = "tests.urls_moved"
    assert slug_url("blog:article", "a") == reverse("blog:article", kwargs={"slug": "a"})
    assert slug_url("blog:article", "a") == "/magazin/cikk/a/"


@pytest.mark.django_db
def test_bylines_and_tags_of_a_page_keep_their_order_in_cards_pages_and_feeds(client):
    """authors_by_article/tags_by_article replace prefetch_related: byline order is the
    source's (position), not the name's or the id's; tags are by name, as Tag orders them."""
    first = make_article(
        "Első", authors=["Zsófia Zsámboki", "Ádám Antal", "Márta Mező"], tags=["Zéró", "Alfa"]
    )
    make_article("Második", authors=["Ádám Antal"], tags=[])
    # An editor moved Márta to the front: position, not the byline's or author's id, decides.
    positions = {"Márta Mező": 0, "Zsófia Zsámboki": 1, "Ádám Antal": 2}
    for line in Byline.objects.filter(article=first).select_related("author"):
        Byline.objects.filter(pk=line.pk).update(position=positions[line.author.name])
    expected = "Márta Mező, Zsófia Zsámboki és Ádám Antal"
    home = parse(client.get("/").content)
    cards = {c.find("h2").text: c for c in home.find_all("article", class_="card")}
    assert cards["Első"].find("span", class_="byline").text == expected
    assert cards["Második"].find("span", class_="byline").text == "Ádám Antal"
    page = parse(client.get(first.get_absolute_url()).content)
    assert page.find("span", class_="byline").text == expected
    assert [li.text for li in page.find("ul", class_="tag-list").find_all("li")] == [
        "Alfa",
        "Zéró",
    ]
    feed = client.get("/feed/rss/").content.decode()
    item = feed[feed.index("<title>Első</title>") :]
    item = item[: item.index("</item>")]
    creators = [part.split("</dc:creator>")[0] for part in item.split("<dc:creator>")[1:]]
    assert creators == ["Márta Mező", "Zsófia Zsámboki", "Ádám Antal"]
    categories = [part.split("</category>")[0] for part in item.split("<category>")[1:]]
    assert categories == ["Alfa", "Zéró"]


@pytest.mark.parametrize("name", ["blog:home", "blog:feed_rss", "blog:feed_atom", "blog:search"])
def test_site_url_is_what_reverse_gives_and_follows_the_urlconf(name, settings):
    from blog.templating import site_url

    assert site_url(name) == reverse(name)
    settings.ROOT_URLCONF = "tests.urls_moved"
    assert site_url(name) == reverse(name)
    assert site_url(name).startswith("/magazin/")


@pytest.mark.django_db
def test_the_hand_written_bylines_and_tags_are_the_querysets_rows(django_assert_num_queries):
    """blog.cards.related_rows writes its statement once per process from the models' names;
    it must keep answering what the querysets it replaced answer (byline order; tags by name,
    then id), for several articles at once, none, and articles with neither."""
    from articles.models import Article
    from blog.cards import related_rows

    first = make_article("Első", authors=["Zoé", "Ádám", "Béla"], tags=["Zéró", "alfa", "Alfa"])
    second = make_article("Második", authors=["Béla"], tags=["Béta"])
    bare = make_article("Harmadik", authors=[], tags=[])
    Byline.objects.filter(article=first).update(position=5)
    Byline.objects.filter(article=first, author__name="Béla").update(position=0)
    ids = [first.pk, second.pk, bare.pk]
    authors = (
        Byline.objects.filter(article_id__in=ids)
        .order_by("article_id", "position", "pk")
        .values_list("article_id", "author_id", "author__name", "author__slug")
    )
    tags = (
        Article.tags.through.objects.filter(article_id__in=ids)
        .order_by("article_id", "tag__name", "tag_id")
        .values_list("article_id", "tag_id", "tag__name", "tag__slug")
    )
    for kind, queryset in (("authors", authors), ("tags", tags)):
        expected = {pk: [] for pk in ids}
        for article_id, *row in queryset:
            expected[article_id].append(tuple(row))
        with django_assert_num_queries(1):
            assert related_rows(ids, kind) == expected
        with django_assert_num_queries(0):
            assert related_rows([], kind) == {}
    assert [name for _pk, name, _slug in related_rows([first.pk], "authors")[first.pk]] == [
        "Béla",
        "Zoé",
        "Ádám",
    ]


HOSTILE = "<script>alert(\"x\")</script> & 'idéző'"


@pytest.mark.parametrize(
    "authors",
    [
        [],
        [{"url": "/szerzo/a/", "name": HOSTILE, "sep": ""}],
        [
            {"url": '/szerzo/"x"/', "name": "Egri Máté", "sep": " és "},
            {"url": "/szerzo/b/", "name": "B & <C>", "sep": ""},
        ],
    ],
)
def test_a_meta_line_shows_every_value_escaped(authors):
    """Cards and the article page write their meta line with blog.cards.meta_line_html:
    byline links, the date and the reading time, every value escaped (SafeStrings kept)."""
    from django.utils.safestring import mark_safe

    from blog.cards import meta_line_html

    for reading in ("5 perc olvasás", HOSTILE, mark_safe("<b>kész</b>")):
        meta = {"authors": authors, "iso": "2024-12-24T10:00:00+01:00", "date": HOSTILE}
        meta["reading"] = reading
        html = meta_line_html(meta)
        assert "<script>" not in html
        line = parse(html).find("p", class_="meta")
        byline_ = line.find(class_="byline")
        links = byline_.find_all("a") if byline_ else []
        assert [(a.attrs["href"], a.text) for a in links] == [
            (a["url"], a["name"]) for a in authors
        ]
        if authors:
            assert byline_.text == "".join(a["name"] + a["sep"] for a in authors).strip()
        else:
            assert byline_ is None
        time = line.find("time")
        assert time.attrs["datetime"] == meta["iso"] and time.text == HOSTILE
        reading_time = line.find(class_="reading-time")
        if reading == HOSTILE:
            assert reading_time.text == HOSTILE
        elif "<b>" in reading:
            assert reading_time.find("b").text == "kész"  # a SafeString is placed as it is


@pytest.mark.parametrize(
    "image",
    [
        None,
        {"src": "/media/a.png", "width": None, "height": None},
        {"src": '/media/"a".png', "width": 1200, "height": 800, "srcset": "/m/a 480w, /m/b 1200w"},
        {
            "src": "/media/a.png",
            "width": 900,
            "height": None,
            "srcset": "/m/a.png 480w",
            "webp_srcset": "/m/a.webp 480w, /m/<b>.webp 900w",
        },
    ],
)
@pytest.mark.parametrize("eager", [True, False])
def test_a_picture_has_its_sources_and_loading_with_every_value_escaped(image, eager):
    from blog.cards import picture_html
    from blog.templating import SIZES_CARD

    html = picture_html(image, eager=eager, sizes=SIZES_CARD, alt=HOSTILE, css_class="card-cover")
    if image is None:
        assert html == "\n"
        return
    assert "<script>" not in html and "<b>" not in html
    picture = parse(html).find("picture", class_="card-cover")
    img = picture.find("img").attrs
    assert img["src"] == image["src"] and img["alt"] == HOSTILE
    assert img["decoding"] == "async"
    if eager:
        assert img["fetchpriority"] == "high" and "loading" not in img
    else:
        assert img["loading"] == "lazy" and "fetchpriority" not in img
    assert img.get("srcset") == image.get("srcset")
    assert img.get("sizes") == (SIZES_CARD if image.get("srcset") else None)
    if image["width"]:
        assert img["width"] == str(image["width"]) and img["height"] == str(image["height"])
    else:
        assert "width" not in img
    source = picture.find("source")
    if image.get("webp_srcset"):
        assert source.attrs["type"] == "image/webp"
        assert source.attrs["srcset"] == image["webp_srcset"]
    else:
        assert source is None
