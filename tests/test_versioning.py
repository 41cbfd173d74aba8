"""The site content version moves with every write that can change a public page, in the
writing transaction, whoever writes (model save, queryset update, bulk insert, raw SQL)."""

import pytest
from django.db import connection, transaction

from articles.models import Article, Author, Byline, ContentVersion, Tag
from articles.versioning import bump_content_version, current_content_version
from tests.factories import make_article, make_author, make_tag

pytestmark = pytest.mark.django_db


def version() -> int:
    return ContentVersion.objects.get(pk=1).value


@pytest.fixture
def article():
    return make_article("Első", tags=["Chipek"], authors=["Egri Máté"])


WRITES = {
    "save": lambda a: a.save(),
    "queryset update (the admin's withdraw)": lambda a: Article.objects.filter(pk=a.pk).update(
        released=False
    ),
    "delete": lambda a: a.delete(),
    "bulk insert": lambda a: Article.objects.bulk_create([Article(title="Új", slug="uj")]),
    "tag added (m2m)": lambda a: a.tags.add(make_tag("Memória")),
    "tag removed (m2m)": lambda a: a.tags.clear(),
    "byline added": lambda a: Byline.objects.create(
        article=a, author=make_author("Takáts Bálint"), position=1
    ),
    "byline removed": lambda a: Byline.objects.filter(article=a).delete(),
    "author renamed": lambda a: Author.objects.filter(slug="egri-mate").update(name="Egri M."),
    "tag renamed": lambda a: Tag.objects.filter(slug="chipek").update(name="Chipek!"),
    "tag deleted": lambda a: Tag.objects.filter(slug="chipek").delete(),
    "raw SQL": lambda a: connection.cursor().execute(
        "UPDATE articles_article SET title = 'Nyers' WHERE id = %s", [a.pk]
    ),
    "bump_content_version()": lambda a: bump_content_version(),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_moves_the_version(article, write):
    before = ContentVersion.objects.get(pk=1)
    WRITES[write](article)
    after = ContentVersion.objects.get(pk=1)
    assert after.value > before.value
    assert after.changed_at >= before.changed_at


def test_a_rolled_back_write_does_not_move_it(article):
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        article.title = "Soha"
        article.save()
        raise RuntimeError
    assert version() == before


def test_reading_writes_nothing(article, client):
    before = version()
    client.get("/")
    client.get(article.get_absolute_url())
    assert version() == before


def test_the_version_comes_back_after_its_row_is_lost(article):
    """A flushed database loses the row: the next write starts it again above any old value
    (the current time in milliseconds), so no old cache entry can match."""
    old = version()
    ContentVersion.objects.all().delete()
    article.save()
    assert version() > old
    ContentVersion.objects.all().delete()
    assert current_content_version().value == 0
    assert bump_content_version().value > old
