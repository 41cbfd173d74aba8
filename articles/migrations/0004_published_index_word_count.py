"""A covering index for the public queries and a stored word count.

`article_published_idx` (date, id, released, updated_at) answers published() in date order
and the readers' HTTP validators (max updated_at, max date, count) from the index alone; the
old (released, -date) index was not usable on SQLite, where Django writes the filter as a bare
`released`. `word_count` lets list pages show the reading time without loading body_html;
existing rows get it from their stored HTML with the renderer's word pattern (within a few
percent of what a re-render would store; saving the article stores the exact count).
"""

import html
import re

from django.db import migrations, models
from django.utils.html import strip_tags

# The renderer's word pattern (articles/rendering.py), frozen here as migrations must be.
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def count_words(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    batch = []
    for article in Article.objects.only("pk", "body_html").iterator(chunk_size=200):
        article.word_count = len(_WORD.findall(html.unescape(strip_tags(article.body_html))))
        batch.append(article)
        if len(batch) >= 200:
            Article.objects.bulk_update(batch, ["word_count"])
            batch = []
    if batch:
        Article.objects.bulk_update(batch, ["word_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_editor_group"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="article",
            name="article_public_idx",
        ),
        migrations.AddField(
            model_name="article",
            name="word_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                fields=["date", "id", "released", "updated_at"], name="article_published_idx"
            ),
        ),
        migrations.RunPython(count_words, migrations.RunPython.noop),
    ]
