"""PostgreSQL full-text search: unaccent, and a Hungarian configuration that folds accents
before stemming, so "gyartasi" and "Gyártási" meet. A no-op on SQLite."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CREATE_CONFIG = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hungarian_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION hungarian_unaccent (COPY = hungarian);
        ALTER TEXT SEARCH CONFIGURATION hungarian_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, hungarian_stem;
    END IF;
END
$$;
"""
DROP_CONFIG = "DROP TEXT SEARCH CONFIGURATION IF EXISTS hungarian_unaccent;"


def create_config(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_CONFIG)


def drop_config(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CONFIG)


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(create_config, drop_config),
    ]
