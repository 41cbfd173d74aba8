"""RSS 2.0, Atom and the sitemap, parsed as XML: published articles only, absolute URLs,
the full sanitized body, every author."""

import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import make_article

SITE = "https://cikk.example"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
}


@pytest.fixture
def articles(db, settings):
    settings.CIKK_SITE_URL = SITE
    now = timezone.now()
    first = make_article(
        "Első cikk",
        date=now - timedelta(days=2),
        authors=["Egri Máté", "Takáts Bálint"],
        tags=["Chipek"],
        body='## Fejezet\n\nSzöveg <b>vastagon</b>. ![ábra](/media/images/abc.png "cím")\n\n'
        "<script>alert(1)</script>",
        description="Az első leírása.",
    )
    second = make_article("Második cikk", date=now - timedelta(days=1), authors=["Kiss Anna"])
    make_article("Rejtett piszkozat", released=False)
    make_article("Holnapi cikk", date=now + timedelta(days=1))
    return first, second


def test_rss_feed(client, articles):
    response = client.get("/feed/rss/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.attrib["version"] == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link") == f"{SITE}/"
    assert channel.find("atom:link", NS).attrib["href"] == f"{SITE}/feed/rss/"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Második cikk", "Első cikk"]
    first = items[1]
    assert first.findtext("link") == f"{SITE}/cikk/elso-cikk/"
    assert first.findtext("guid") == f"{SITE}/cikk/elso-cikk/"
    assert first.findtext("description") == "Az első leírása."
    assert [c.text for c in first.findall("dc:creator", NS)] == ["Egri Máté", "Takáts Bálint"]
    assert [c.text for c in first.findall("category")] == ["Chipek"]
    content = first.findtext("content:encoded", namespaces=NS)
    assert "<b>vastagon</b>" in content
    assert 'id="fejezet"' in content
    assert "<script" not in content
    assert f'src="{SITE}/media/images/abc.png"' in content  # absolute for feed readers


def test_atom_feed(client, articles):
    response = client.get("/feed/atom/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    links = {link.attrib["rel"]: link.attrib["href"] for link in root.findall("atom:link", NS)}
    assert links == {"alternate": f"{SITE}/", "self": f"{SITE}/feed/atom/"}
    entries = root.findall("atom:entry", NS)
    assert [e.findtext("atom:title", namespaces=NS) for e in entries] == [
        "Második cikk",
        "Első cikk",
    ]
    first = entries[1]
    assert first.find("atom:link", NS).attrib["href"] == f"{SITE}/cikk/elso-cikk/"
    assert first.findtext("atom:published", namespaces=NS)
    assert first.findtext("atom:updated", namespaces=NS)
    authors = [a.findtext("atom:name", namespaces=NS) for a in first.findall("atom:author", NS)]
    assert authors == ["Egri Máté", "Takáts Bálint"]
    content = first.find("atom:content", NS)
    assert content.attrib["type"] == "html"
    assert "<b>vastagon</b>" in content.text and "<script" not in content.text
    assert first.findtext("atom:summary", namespaces=NS) == "Az első leírása."


def test_feeds_hide_unpublished(client, articles):
    for url in ("/feed/rss/", "/feed/atom/"):
        text = client.get(url).content.decode()
        assert "Rejtett piszkozat" not in text and "Holnapi cikk" not in text


def test_empty_feeds_are_valid(client, db):
    for url in ("/feed/rss/", "/feed/atom/"):
        response = client.get(url)
        assert response.status_code == 200
        ET.fromstring(response.content)


def _sitemap_entries(client) -> dict[str, str | None]:
    """Every URL of every section the sitemap index lists, with its lastmod."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    root = ET.fromstring(index.content)
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    entries = {}
    for location in root.findall("sm:sitemap/sm:loc", NS):
        path = location.text.removeprefix(SITE)
        section = client.get(path)
        assert section.status_code == 200, path
        for url in ET.fromstring(section.content).findall("sm:url", NS):
            entries[url.findtext("sm:loc", namespaces=NS)] = url.findtext(
                "sm:lastmod", namespaces=NS
            )
    return entries


def test_sitemap(client, articles):
    entries = _sitemap_entries(client)
    first = articles[0]
    first.refresh_from_db()
    assert (
        entries[f"{SITE}/cikk/elso-cikk/"]
        == timezone.localtime(first.content_changed_at).date().isoformat()
    )
    assert f"{SITE}/" in entries
    assert f"{SITE}/cikk/masodik-cikk/" in entries
    assert f"{SITE}/szerzo/egri-mate/" in entries
    assert f"{SITE}/cimke/chipek/" in entries
    assert not any("rejtett" in loc or "holnapi" in loc for loc in entries)
    assert len(entries) == 1 + 2 + 3 + 1  # home, articles, authors, tags


def test_sitemap_sections_are_paged(client, articles, monkeypatch):
    from blog.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 1)
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)]
    assert f"{SITE}/sitemap-articles.xml" in locations
    assert f"{SITE}/sitemap-articles.xml?p=2" in locations
    first = ET.fromstring(client.get("/sitemap-articles.xml").content)
    second = ET.fromstring(client.get("/sitemap-articles.xml?p=2").content)
    assert len(first.findall("sm:url", NS)) == len(second.findall("sm:url", NS)) == 1
    assert client.get("/sitemap-articles.xml?p=3").status_code == 404


def test_sitemap_lastmod_is_the_content_change_not_the_import_run(client, db, tmp_path, settings):
    from django.core.management import call_command

    settings.CIKK_SITE_URL = SITE

    source = tmp_path / "regi.md"
    source.write_text(
        '---\ntitle: "Régi cikk"\ndate: "2020-03-04"\nreleased: yes\nauthor: Egri Máté\n'
        'description: "Régi."\n---\n\nSzöveg.\n',
        encoding="utf-8",
    )
    # No cover: the release gate would hold it; published anyway, as an editor may.
    call_command("import_articles", str(source), "--allow-errors", stdout=io.StringIO())
    entries = _sitemap_entries(client)
    assert entries[f"{SITE}/cikk/regi-cikk/"] == "2020-03-04"


def test_absolutize_html_makes_every_srcset_candidate_absolute(settings):
    from blog.content import absolutize_html

    settings.CIKK_SITE_URL = "https://cikk.example"
    html = (
        '<picture><source type="image/webp" srcset="/media/a-480w.webp 480w, '
        '/media/a-960w.webp 960w"><img src="/media/a.png" '
        'srcset="/media/a-480w.png 480w, https://cdn.example/a.png 2000w" alt=""></picture>'
        '<a href="//other.example/x">x</a>'
    )
    out = absolutize_html(html)
    assert 'srcset="https://cikk.example/media/a-480w.webp 480w, ' in out
    assert "https://cikk.example/media/a-960w.webp 960w" in out
    assert 'src="https://cikk.example/media/a.png"' in out
    assert "https://cikk.example/media/a-480w.png 480w, https://cdn.example/a.png 2000w" in out
    assert 'href="//other.example/x"' in out


def _html_elements(fragment: str) -> list[str]:
    """The element names a feed reader's HTML parser finds in `fragment`."""
    found: list[str] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append(tag)

    Collector().feed(fragment)
    return found


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_control_characters_in_content_never_take_a_feed_down(client, db, settings, url):
    settings.CIKK_SITE_URL = SITE
    make_article(
        "Vezérlő\u0001karakter",
        description="a\u0001b\x0bc\ufffe",
        body="Szöveg\u0002 itt.\x1f",
        authors=["Név\u0003 Nélkül"],
        tags=["cím\u0004ke"],
    )
    response = client.get(url)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # well-formed XML, whatever the row held
    text = response.content.decode()
    assert not any(ch in text for ch in "\u0001\u0002\u0003\u0004\x0b\x1f\ufffe")
    if url == "/feed/rss/":
        item = root.find("channel/item")
        assert item.findtext("title") == "Vezérlőkarakter"
        assert item.findtext("description") == "abc"
        assert [c.text for c in item.findall("dc:creator", NS)] == ["Név Nélkül"]
        assert [c.text for c in item.findall("category")] == ["címke"]
        assert "Szöveg itt." in item.findtext("content:encoded", namespaces=NS)
    else:
        entry = root.find("atom:entry", NS)
        assert entry.findtext("atom:title", namespaces=NS) == "Vezérlőkarakter"
        assert entry.findtext("atom:summary", namespaces=NS) == "abc"


def test_a_description_reaches_feed_readers_as_text_never_as_markup(client, db, settings):
    settings.CIKK_SITE_URL = SITE
    hostile = '<img src=x onerror=alert(1)> & <script>alert(2)</script> "idézet"'
    make_article("Gonosz leírás", description=hostile)
    rss = ET.fromstring(client.get("/feed/rss/").content)
    description = rss.find("channel/item").findtext("description")
    atom = ET.fromstring(client.get("/feed/atom/").content)
    summary = atom.find("atom:entry", NS).find("atom:summary", NS)
    assert summary.attrib["type"] == "html"
    for value in (description, summary.text):
        # A feed reader decodes the XML, then parses the value as HTML: no element at all,
        # and the text it shows is exactly what the author wrote.
        assert _html_elements(value) == []
        assert unescape(value) == hostile


def test_xml_safe_keeps_what_xml_can_carry():
    from blog.feeds import xml_safe

    keep = "tab\tnl\ncr\r ő € 😀 \ud7ff\ue000\ufffd"
    assert xml_safe(keep) == keep
    assert xml_safe("a\x00\x08\x0b\x0c\x0e\x1f\ud800\udfff\ufffe\uffffb") == "ab"
    assert xml_safe(("x\x01", ["y\x02", 3])) == ("x", ["y", 3])
    assert xml_safe(None) is None


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_an_edited_body_is_in_the_feed_at_the_next_request(client, db, settings, url):
    """Each item's content is kept per process keyed by the stored HTML and the site URL: an
    edit or a new CIKK_SITE_URL is never answered from the old text."""
    settings.CIKK_SITE_URL = SITE
    article = make_article("Szerkesztett", body="Régi szöveg. ![kép](/media/images/a.png)")
    assert "Régi szöveg." in client.get(url).content.decode()
    article.body = "Új szöveg. ![kép](/media/images/a.png)"
    article.save()
    text = client.get(url).content.decode()
    assert "Új szöveg." in text and "Régi szöveg." not in text
    assert f'src="{SITE}/media/images/a.png"' in text
    settings.CIKK_SITE_URL = "https://masik.example"
    cache.clear()  # the page cache keys pages by content, not by settings
    text = client.get(url).content.decode()
    assert 'src="https://masik.example/media/images/a.png"' in text
    assert SITE not in text


def test_an_empty_description_is_an_empty_element(client, db, settings):
    settings.CIKK_SITE_URL = SITE
    make_article("Leírás nélkül", description="")
    rss = client.get("/feed/rss/").content.decode()
    atom = client.get("/feed/atom/").content.decode()
    assert "<description/>" in rss and '<summary type="html"/>' in atom
    assert ET.fromstring(rss).find("channel/item").findtext("description") == ""


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_feeds_answer_only_get_and_head(client, db, url):
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
