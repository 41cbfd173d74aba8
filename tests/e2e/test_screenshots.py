"""Full-page screenshots of the home and the seed's article, on a desktop and on a phone.

Written to tests/e2e/artifacts/ (git-ignored) on every run, for people to look at: a broken
layout, an untypeset formula or a missing image is obvious in a picture and easy to miss in an
assertion. The test itself only proves that real, plausible pictures were taken of fully
loaded pages (every image decoded, every formula typeset, fonts ready).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.test_seed_page import _assert_clean, _load_every_image, typeset

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
WIDTHS = {"desktop": 1280, "phone": 375}
HEIGHTS = {"desktop": 900, "phone": 740}


@pytest.fixture
def home_with_samples(released_seed):
    """The seed plus the sample articles of content/, so the home has a real list of cards."""
    from articles.importing import Importer

    outcomes = list(Importer().run([CONTENT_DIR]))
    assert all(outcome.status == "created" for outcome in outcomes), [o.line() for o in outcomes]
    return released_seed


def _ready(page, *, math: bool) -> None:
    """Everything a reader would see has arrived: images, formulas, web fonts."""
    if math:
        typeset(page)
    _load_every_image(page)
    page.page.evaluate("document.fonts.ready.then(() => true)")
    page.page.evaluate("window.scrollTo(0, 0)")


def _check_png(path: Path, width: int, min_height: int) -> None:
    """A real PNG of the page: the viewport's width, at least a screen tall, not blank."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    assert path.stat().st_size > 20_000, (path, path.stat().st_size)
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG"
        assert image.width == width, (path, image.size)
        assert image.height >= min_height, (path, image.size)
        # A page with text and pictures has many colours; a blank or failed render has few.
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 50, (path, len(colours))


def test_screenshots_of_home_and_seed(page, live_server, home_with_samples):
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {"home": ("/", False), "seed": (home_with_samples.get_absolute_url(), True)}
    taken = []
    for device, width in WIDTHS.items():
        page.page.set_viewport_size({"width": width, "height": HEIGHTS[device]})
        for name, (path, math) in pages.items():
            response = page.page.goto(live_server.url + path)
            assert response.status == 200
            _ready(page, math=math)
            assert page.page.evaluate("document.documentElement.scrollWidth") <= width
            target = ARTIFACTS / f"{name}-{device}-{width}.png"
            target.unlink(missing_ok=True)  # a stale picture must not pass for a new one
            page.page.screenshot(path=str(target), full_page=True)
            taken.append((target, width, HEIGHTS[device]))
    for target, width, height in taken:
        _check_png(target, width, height)
    _assert_clean(page)
