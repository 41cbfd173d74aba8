"""The SQLite triggers behind the content version and the full-text index, kept in place.

Why: on SQLite, Django's schema editor changes some columns by rebuilding the table (new
table, copy, drop, rename), and dropping the old table drops its triggers. Migration
0007_scale creates them once; a later migration that rebuilds `articles_article` (0008_editor
does) would silently stop the content version from moving and the search index from following
edits. So after every `migrate` (post_migrate, connected in ArticlesConfig.ready) the triggers
are created again where missing, and the search index is rebuilt when its triggers had been
gone. PostgreSQL never rebuilds tables this way: its statement triggers stay.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# The same statements as migration 0007_scale (which stays frozen, as migrations must).
TRIGGER_TABLES = (
    "articles_article",
    "articles_byline",
    "articles_article_tags",
    "articles_author",
    "articles_tag",
)
_BUMP = (
    "INSERT INTO articles_contentversion (id, value, changed_at) VALUES (1, "
    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), "
    "strftime('%Y-%m-%d %H:%M:%f', 'now')) "
    "ON CONFLICT (id) DO UPDATE SET value = value + 1, changed_at = excluded.changed_at;"
)
VERSION_TRIGGERS = {
    f"cikk_version_{table}_{event.lower()}": (
        f"CREATE TRIGGER IF NOT EXISTS cikk_version_{table}_{event.lower()} AFTER {event} ON "
        f"{table} BEGIN {_BUMP} END"
    )
    for table in TRIGGER_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
}
FTS_TRIGGERS = {
    "article_fts_insert": """CREATE TRIGGER IF NOT EXISTS article_fts_insert
        AFTER INSERT ON articles_article BEGIN
        INSERT INTO article_fts(rowid, title, description, plain_text)
        VALUES (new.id, new.title, new.description, new.plain_text);
    END""",
    "article_fts_delete": """CREATE TRIGGER IF NOT EXISTS article_fts_delete
        AFTER DELETE ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, description, plain_text)
        VALUES ('delete', old.id, old.title, old.description, old.plain_text);
    END""",
    "article_fts_update": """CREATE TRIGGER IF NOT EXISTS article_fts_update
        AFTER UPDATE OF title, description, plain_text ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, description, plain_text)
        VALUES ('delete', old.id, old.title, old.description, old.plain_text);
        INSERT INTO article_fts(rowid, title, description, plain_text)
        VALUES (new.id, new.title, new.description, new.plain_text);
    END""",
}


def _existing(cursor, kind: str) -> set[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = %s", [kind])
    return {row[0] for row in cursor.fetchall()}


def ensure_sqlite_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the missing triggers (none once migration 0007 ran and nothing dropped them);
    returns their names. A no-op on other databases and before 0007 made the tables."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        tables = _existing(cursor, "table")
        if "articles_contentversion" not in tables or "article_fts" not in tables:
            return []
        present = _existing(cursor, "trigger")
        wanted = {**VERSION_TRIGGERS, **FTS_TRIGGERS}
        missing = [name for name in wanted if name not in present]
        for name in missing:
            cursor.execute(wanted[name])
        if any(name in FTS_TRIGGERS for name in missing):
            # Edits made while the index's triggers were gone: read it all again.
            cursor.execute("INSERT INTO article_fts(article_fts) VALUES ('rebuild')")
    return missing


def ensure_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver."""
    from django.db import connections

    ensure_sqlite_triggers(connections[using])
