"""The content version and search triggers survive migrations that rebuild the table."""

from __future__ import annotations

import pytest
from django.db import connection

from articles.db_triggers import FTS_TRIGGERS, VERSION_TRIGGERS, ensure_sqlite_triggers
from articles.models import Article
from articles.search_index import matching, terms_of
from articles.versioning import current_content_version

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's table rebuilds"),
]


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_every_trigger_exists_after_all_migrations():
    """0008_editor rebuilds articles_article on SQLite (dropping its triggers): post_migrate
    creates them again."""
    assert set(VERSION_TRIGGERS) | set(FTS_TRIGGERS) <= _triggers()


def test_dropped_triggers_come_back_and_the_index_catches_up():
    with connection.cursor() as cursor:
        for name in [*FTS_TRIGGERS, "cikk_version_articles_article_update"]:
            cursor.execute(f"DROP TRIGGER {name}")
    article = Article.objects.create(slug="hozam", title="Hozam", body="A kihozatal szó.")
    found = matching(Article.objects.all(), terms_of("kihozatal"))
    assert not found.exists()  # unseen while the triggers were gone

    restored = ensure_sqlite_triggers(connection)

    assert set(restored) == {*FTS_TRIGGERS, "cikk_version_articles_article_update"}
    assert list(found.values_list("pk", flat=True)) == [article.pk]
    before = current_content_version()
    Article.objects.filter(pk=article.pk).update(title="Más")
    assert current_content_version() != before
    assert ensure_sqlite_triggers(connection) == []
