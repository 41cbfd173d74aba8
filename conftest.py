"""Shared pytest fixtures: hermetic media, the magazine's seed article, sample content."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SEED_DIR = ROOT.parent / "shared" / "seeds"
SEED_FILE = SEED_DIR / "000_d6cdef30db0b064b.txt"
CONTENT_DIR = ROOT / "content"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes images into its own folder, never into the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seed_path() -> Path:
    """The magazine's real article. Skips where absent, but CI=true makes absence a failure."""
    if not SEED_FILE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"the seed article is missing: {SEED_FILE} (CI must provide ../shared/seeds)"
            )
        pytest.skip(f"seed article not found at {SEED_FILE}")
    return SEED_FILE


@pytest.fixture
def seed_text(seed_path) -> str:
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Tests run with the production page cache (config/page_cache.py): nothing one test
    cached may answer another."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()
