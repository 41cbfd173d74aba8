"""The number of queries of each reader page is pinned and does not grow with the number of
articles (5 or 50): no query inside a loop."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.factories import make_article

# Anonymous reader, no session cookie. Every page first runs one aggregate for its HTTP
# validators (max updated_at, max date, count).
EXPECTED = {
    # validators, paginator count, page of articles, bylines+authors
    "/": 4,
    # validators, article, bylines+authors, tags, previous, next, related
    "/cikk/cikk-00/": 7,
    # validators, author, paginator count, page, bylines+authors
    "/szerzo/egri-mate/": 5,
    # validators, tag, paginator count, page, bylines+authors
    "/cimke/chipek/": 5,
    # paginator count, page of results, bylines+authors
    "/kereses/?q=gyartasi+kihozatal": 3,
    # validators, items, bylines+authors, tags
    "/feed/rss/": 4,
    "/feed/atom/": 4,
}


def _populate(count: int) -> None:
    now = timezone.now()
    for i in range(count):
        make_article(
            f"Cikk {i:02d}",
            body=f"## Gyártási kihozatal {i}\n\nSzöveg.\n\n## Második\n\n## Harmadik\n\nVége.",
            date=now - timedelta(hours=i + 1),
            authors=["Egri Máté", "Takáts Bálint"],
            tags=["Chipek", "AI"],
        )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("url", list(EXPECTED))
def test_query_count_is_pinned_and_independent_of_article_count(
    client, django_assert_num_queries, count, url
):
    _populate(count)
    with django_assert_num_queries(EXPECTED[url]):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.django_db
def test_conditional_hit_costs_one_query(client, django_assert_num_queries):
    _populate(5)
    etag = client.get("/").headers["ETag"]
    with django_assert_num_queries(1):
        assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
