"""Scale and freshness (issue 11).

- `ContentVersion`: one row, bumped by triggers in the writing transaction on every INSERT,
  UPDATE and DELETE of articles, bylines, article tags, authors and tags (SQLite: a row
  trigger each; PostgreSQL: one statement trigger each), whatever writes: the admin, queryset
  updates, the importer's bulk inserts, raw SQL. Readers' cache keys and validators derive
  from it (blog/caching.py).
- SQLite: `article_fts`, an FTS5 index over title, description and the plain text, external
  content (the article table), kept by triggers; tokenizer `unicode61 remove_diacritics 2`
  (accent-insensitive Hungarian), prefix indexes for 2 and 3 characters. PostgreSQL keeps its
  stored tsvector (0005).
- Stored editorial findings, description keys, the plain text and the content change time.
"""

import hashlib
import html
import re

import django.utils.timezone
from django.db import migrations, models

TRIGGER_TABLES = [
    "articles_article",
    "articles_byline",
    "articles_article_tags",
    "articles_author",
    "articles_tag",
]
# An upsert: should the row ever go (a flushed test database), the next write starts it again
# at the current time in milliseconds, far above any count before it, so a restarted version
# never equals an old one that a cache may still hold.
SQLITE_BUMP = (
    "INSERT INTO articles_contentversion (id, value, changed_at) VALUES (1, "
    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), "
    "strftime('%Y-%m-%d %H:%M:%f', 'now')) "
    "ON CONFLICT (id) DO UPDATE SET value = value + 1, changed_at = excluded.changed_at;"
)
SQLITE_FTS = [
    """CREATE VIRTUAL TABLE article_fts USING fts5(title, description, plain_text,
        content='articles_article', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO article_fts(rowid, title, description, plain_text)
        VALUES (new.id, new.title, new.description, new.plain_text);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, description, plain_text)
        VALUES ('delete', old.id, old.title, old.description, old.plain_text);
    END""",
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF title, description, plain_text ON articles_article
    BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, description, plain_text)
        VALUES ('delete', old.id, old.title, old.description, old.plain_text);
        INSERT INTO article_fts(rowid, title, description, plain_text)
        VALUES (new.id, new.title, new.description, new.plain_text);
    END""",
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]
POSTGRES_FUNCTION = """
CREATE FUNCTION cikk_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_contentversion (id, value, changed_at)
    VALUES (1, (extract(epoch from clock_timestamp()) * 1000)::bigint, clock_timestamp())
    ON CONFLICT (id) DO UPDATE
    SET value = articles_contentversion.value + 1, changed_at = excluded.changed_at;
    RETURN NULL;
END
$$
"""
_WORD_SPLIT = re.compile(r"[^\w\s]")


def _normalise(text):
    from articles.text import fold_accents

    folded = fold_accents(text or "").lower()
    return " ".join(_WORD_SPLIT.sub(" ", folded).split())


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest() if text else ""


def fill(apps, schema_editor):
    """The version row; existing rows' plain text, description keys and change time."""
    from django.utils import timezone
    from django.utils.html import strip_tags

    ContentVersion = apps.get_model("articles", "ContentVersion")
    now = timezone.now()
    ContentVersion.objects.update_or_create(
        pk=1, defaults={"changed_at": now, "value": int(now.timestamp() * 1000)}
    )
    Article = apps.get_model("articles", "Article")
    fields = [
        "plain_text",
        "description_key",
        "description_head",
        "description_tail",
        "content_changed_at",
        "content_hash",
    ]
    batch = []
    for article in Article.objects.iterator(chunk_size=200):
        article.plain_text = " ".join(html.unescape(strip_tags(article.body_html)).split())
        words = _normalise(article.description).split()
        article.description_key = _digest(" ".join(words))
        article.description_head = _digest(" ".join(words[:5]))
        article.description_tail = _digest(" ".join(words[-5:]))
        never_edited = article.source_path and article.version == article.imported_version
        article.content_changed_at = (
            min(article.date, article.updated_at) if never_edited else article.updated_at
        )
        parts = (
            article.title,
            article.description,
            article.body,
            article.image.name or "",
            article.image_source,
        )
        article.content_hash = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
        batch.append(article)
        if len(batch) >= 200:
            Article.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Article.objects.bulk_update(batch, fields)


def triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in TRIGGER_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER cikk_version_{table}_{event.lower()} AFTER {event} ON "
                    f"{table} BEGIN {SQLITE_BUMP} END"
                )
        for statement in SQLITE_FTS:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TRIGGER_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER cikk_version_{table} AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION cikk_bump_content_version()"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in TRIGGER_TABLES:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS cikk_version_{table}_{event}")
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS article_fts_{name}")
        schema_editor.execute("DROP TABLE IF EXISTS article_fts")
    elif vendor == "postgresql":
        for table in TRIGGER_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS cikk_version_{table} ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS cikk_bump_content_version()")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_render_report"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=1)),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "tartalomváltozat",
                "verbose_name_plural": "tartalomváltozatok",
            },
        ),
        migrations.AddField(
            model_name="article",
            name="content_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="content_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="article",
            name="description_head",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="article",
            name="description_key",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="article",
            name="description_tail",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="article",
            name="finding_errors",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="finding_warnings",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="findings",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="plain_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["description_key"], name="article_description_idx"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["description_head"], name="article_description_head_idx"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["description_tail"], name="article_description_tail_idx"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(triggers, drop_triggers),
    ]
