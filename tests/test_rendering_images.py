"""Body images of our own storage get a responsive <picture> (WebP + original-format srcsets,
sizes, width/height) after sanitizing; nothing an author writes can add or steer a srcset."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from articles.body_images import SIZES, responsive_images
from articles.images import check_image, store_image
from articles.render import render
from tests.factories import make_article
from tests.html_tree import BAD_SCHEMES, normalized_url, parse, start_tags

HASH = "0123456789abcdef0123456789abcdef"


def image_bytes(width: int, height: int, fmt: str = "PNG", orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), (40, 90, 160))
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def stored(data: bytes, capture) -> str:
    """Stored the way the importer and the admin upload store it, renditions made."""
    with capture(execute=True):
        return store_image(check_image(data))


def candidates(srcset: str) -> list[tuple[str, str]]:
    return [tuple(item.strip().rsplit(" ", 1)) for item in srcset.split(",")]


def assert_only_our_urls(html: str) -> None:
    """The invariants of tests/html_tree.assert_inert, with <source> allowed only as ours."""
    assert "<script" not in html.lower()
    for tag, attrs in start_tags(html):
        for name, value in attrs:
            assert not name.lower().startswith("on"), html
            if name in ("src", "srcset", "href"):
                assert not normalized_url(value or "").startswith(BAD_SCHEMES), html
                assert "javascript" not in (value or "").lower(), html
            if tag == "source" or name == "srcset":
                for url, _width in candidates(value or "") if name == "srcset" else []:
                    assert url.startswith("/media/renditions/images/") or url.startswith(
                        "/media/images/"
                    ), html


@pytest.mark.django_db
def test_stored_png_gets_picture_with_webp_and_png_srcsets(django_capture_on_commit_callbacks):
    name = stored(image_bytes(2000, 1000), django_capture_on_commit_callbacks)
    stem = name.removeprefix("images/").removesuffix(".png")

    html = render(f"Szöveg.\n\n![Grafikon](/media/{name})\n").html

    picture = parse(html).find("picture")
    source, img = picture.elements()
    assert source.tag == "source" and source.attrs["type"] == "image/webp"
    assert source.attrs["sizes"] == SIZES == img.attrs["sizes"]
    assert candidates(source.attrs["srcset"]) == [
        (f"/media/renditions/images/{stem}-{w}w.webp", f"{w}w") for w in (480, 960, 1600)
    ]
    assert img.attrs["src"] == f"/media/{name}"
    assert (img.attrs["width"], img.attrs["height"]) == ("2000", "1000")
    assert img.attrs["alt"] == "Grafikon" and img.attrs["loading"] == "lazy"
    assert candidates(img.attrs["srcset"]) == [
        *[(f"/media/renditions/images/{stem}-{w}w.png", f"{w}w") for w in (480, 960, 1600)],
        (f"/media/{name}", "2000w"),
    ]
    # Every candidate is a file the storage really holds (the naming rule matches the maker).
    for url, _width in candidates(source.attrs["srcset"]) + candidates(img.attrs["srcset"]):
        assert default_storage.exists(url.removeprefix("/media/")), url
    assert_only_our_urls(html)


@pytest.mark.django_db
def test_reader_gets_the_picture_from_the_saved_article(client, django_capture_on_commit_callbacks):
    name = stored(image_bytes(1200, 900, "JPEG"), django_capture_on_commit_callbacks)
    article = make_article("Képes cikk", body=f"![Kép](/media/{name})\n")

    assert "<picture>" in article.body_html
    page = client.get(article.get_absolute_url())
    body = parse(page.content.decode()).find("div", "article-body")
    img = body.find("picture").find("img")
    assert (img.attrs["width"], img.attrs["height"]) == ("1200", "900")
    # 1200 px wide: WebP at 480, 960 and its own width; JPEG renditions below it + the original.
    assert [w for _u, w in candidates(body.find("source").attrs["srcset"])] == [
        "480w",
        "960w",
        "1200w",
    ]
    assert [w for _u, w in candidates(img.attrs["srcset"])] == ["480w", "960w", "1200w"]


@pytest.mark.django_db
def test_webp_and_gif_originals(django_capture_on_commit_callbacks):
    webp = stored(image_bytes(1200, 600, "WEBP"), django_capture_on_commit_callbacks)
    gif = stored(image_bytes(300, 200, "GIF"), django_capture_on_commit_callbacks)

    html = render(f"![w](/media/{webp})\n\n![g](/media/{gif})\n").html

    tree = parse(html)
    assert not tree.find_all("picture")  # a WebP needs no WebP <source>; a GIF gets none
    first, second = tree.find_all("img")
    assert candidates(first.attrs["srcset"]) == [
        (f"/media/renditions/{webp.removesuffix('.webp')}-480w.webp", "480w"),
        (f"/media/renditions/{webp.removesuffix('.webp')}-960w.webp", "960w"),
        (f"/media/{webp}", "1200w"),
    ]
    assert (second.attrs["width"], second.attrs["height"]) == ("300", "200")
    assert "srcset" not in second.attrs  # GIFs (maybe animated) have no renditions


@pytest.mark.django_db
def test_exif_rotated_jpeg_gets_the_size_a_browser_shows(django_capture_on_commit_callbacks):
    name = stored(
        image_bytes(2000, 1000, "JPEG", orientation=6), django_capture_on_commit_callbacks
    )

    img = parse(render(f"![r](/media/{name})").html).find("img")

    assert (img.attrs["width"], img.attrs["height"]) == ("1000", "2000")
    assert [w for _u, w in candidates(img.attrs["srcset"])] == ["480w", "960w", "1000w"]
    for url, _w in candidates(img.attrs["srcset"]):
        assert default_storage.exists(url.removeprefix("/media/")), url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/media/images/{hash}.png",  # a foreign host, same path
        "//evil.example/media/images/{hash}.png",
        "/media/other/{hash}.png",  # ours, but not an images/ name
        "/static/images/{hash}.png",
        "/media/images/{hash}.png?x=1",
        "/media/images/NOTAHASH.png",
        "/media/images/{hash}.svg",
    ],
)
def test_foreign_or_non_matching_sources_are_untouched(src, django_capture_on_commit_callbacks):
    data = image_bytes(2000, 1000)
    name = stored(data, django_capture_on_commit_callbacks)
    src = src.format(hash=name.removeprefix("images/").removesuffix(".png"))

    plain = render(f'<img src="{src}" alt="x">')
    # The sanitizer alone, without the post-processing:
    assert responsive_images(plain.html) == plain.html
    tag = parse(plain.html).find_all("img")
    assert not parse(plain.html).find_all("picture")
    for img in tag:
        assert not {"srcset", "sizes", "width", "height"} & set(img.attrs)


def test_missing_stored_file_leaves_the_tag_alone():
    html = render(f"![Nincs meg](/media/images/{HASH}.png)").html

    img = parse(html).find("img")
    assert not parse(html).find_all("picture")
    assert not {"srcset", "sizes", "width", "height"} & set(img.attrs)
    assert img.attrs["src"] == f"/media/images/{HASH}.png"


def test_unreadable_stored_file_leaves_the_tag_alone():
    default_storage.save(f"images/{'f' * 32}.jpg", ContentFile(b"not an image at all"))

    html = render(f"![Rossz](/media/images/{'f' * 32}.jpg)").html

    assert "srcset" not in html and "width" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attributes",
    [
        'srcset="javascript:alert(1) 480w"',
        'srcset="https://evil.example/x.png 480w"',
        'sizes="100vw" srcset="//evil.example/a.png 2x"',
    ],
)
def test_author_written_srcset_is_removed(attributes, django_capture_on_commit_callbacks):
    name = stored(image_bytes(2000, 1000), django_capture_on_commit_callbacks)
    foreign = render(f'<img src="https://example.org/a.png" alt="a" {attributes}>')
    ours = render(f'<img src="/media/{name}" alt="a" {attributes}>')
    smuggled = render(
        f'<picture><source srcset="javascript:alert(1)" type="image/webp">'
        f'<img src="/media/{name}" alt="a" {attributes}></picture>'
    )

    assert "srcset attribute" in foreign.removed
    for html in (foreign.html, ours.html, smuggled.html):
        assert "evil.example" not in html and "javascript" not in html
        assert_only_our_urls(html)
    assert "srcset" not in foreign.html
    # Our own image still gets exactly our srcsets, the author's are gone.
    assert parse(ours.html).find("img").attrs["srcset"].startswith("/media/renditions/images/")
    assert smuggled.html.count("<source") == 1  # ours, not the author's


@pytest.mark.django_db
@pytest.mark.parametrize(
    "template",
    [
        '<img src="/media/{name}" alt=\'"><script>alert(1)</script>\'>',
        '<img src="/media/{name}" onerror="alert(1)" alt="x > y">',
        '<img src="/media/{name}" alt="a" style="background:url(javascript:alert(1))">',
        '![x" onerror="alert(1)](/media/{name} "t\\" onload=\\"alert(1)")',
        '<a href="javascript:alert(1)"><img src="/media/{name}" alt="link"></a>',
        '<img src="/media/{name}" alt="a" width="10" height="10">',
    ],
)
def test_hostile_input_around_our_images_stays_inert(template, django_capture_on_commit_callbacks):
    name = stored(image_bytes(2000, 1000), django_capture_on_commit_callbacks)

    html = render(template.format(name=name)).html

    assert_only_our_urls(html)
    assert len(parse(html).find_all("img")) == 1  # no element smuggled out of an attribute
    assert "srcset" in html  # the image itself is still ours and still responsive
    assert responsive_images(html) == html  # idempotent: saved again, unchanged


@pytest.mark.django_db
def test_author_width_and_height_are_kept(django_capture_on_commit_callbacks):
    name = stored(image_bytes(2000, 1000), django_capture_on_commit_callbacks)

    img = parse(render(f'<img src="/media/{name}" alt="a" width="400">').html).find("img")

    assert img.attrs["width"] == "400" and "height" not in img.attrs
    assert "srcset" in img.attrs
