"""Share links for an outside reviewer: the current saved article as readers will see it, for
anyone holding the link, until it expires or is revoked; nothing else opens with it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import sharing
from articles.models import ShareLink
from tests.test_admin import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("fo", "fo@example.org", "x"))
    return client


def share_url(link: ShareLink) -> str:
    return reverse("share_preview", args=[sharing.token_for(link)])


def test_reviewer_sees_the_draft_as_readers_will(client):
    article = make_article("biralat", ready=True, body="## Fejezet\n\n**Vázlat** szöveg.\n")
    assert client.get(article.get_absolute_url()).status_code == 404  # a draft
    link = sharing.create_link(article, None)
    response = Client().get(share_url(link))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Vázlat</strong>" in html
    assert 'id="article-title"' in html and "Próba Péter" in html
    assert 'alt="Kék téglalap"' in html  # the cover with its alt text
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "draft-banner" not in html  # as readers will see it
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "sessionid" not in response.cookies
    # The link opens this article and nothing else: no admin access comes with it.
    assert Client().get("/admin/articles/article/").status_code == 302


def test_reviewer_sees_the_current_saved_text(client):
    article = make_article("frissul", body="Első.")
    link = sharing.create_link(article, None)
    article.body = "Második."
    article.save()
    assert "Második." in Client().get(share_url(link)).content.decode()


def test_default_expiry_is_seven_days():
    link = sharing.create_link(make_article("het-nap"), None)
    left = link.expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)


def test_expired_link_is_gone():
    link = sharing.create_link(make_article("lejart"), None)
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(share_url(link))
    assert response.status_code == 410
    assert "lejárt" in response.content.decode()
    assert "Lejart" not in response.content.decode()


def test_revoked_link_is_gone():
    link = sharing.create_link(make_article("visszavont"), None)
    link.revoked_at = timezone.now()
    link.save()
    response = Client().get(share_url(link))
    assert response.status_code == 410
    assert "visszavonták" in response.content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "x" + token,  # key changed
        lambda token: token.split(":")[0],  # no signature
        lambda token: "a" * 300,
        lambda token: "nincs-ilyen:aaaa",
    ],
)
def test_tampered_tokens_are_404(tamper):
    article = make_article("hamisitott", body="Titkos vázlat.")
    link = sharing.create_link(article, None)
    token = tamper(sharing.token_for(link))
    response = Client().get(reverse("share_preview", args=[token]))
    assert response.status_code == 404
    assert "Titkos vázlat." not in response.content.decode()


def test_signed_key_of_a_deleted_link_is_404():
    link = sharing.create_link(make_article("torolt"), None)
    url = share_url(link)
    link.delete()
    assert Client().get(url).status_code == 404


def test_editor_creates_lists_and_revokes_links(admin_client):
    article = make_article("megosztas")
    url = reverse("admin:articles_article_share", args=[article.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"days": "3"}, follow=True)
    link = ShareLink.objects.get(article=article)
    assert timedelta(days=2, hours=23) < link.expires_at - timezone.now() <= timedelta(days=3)
    html = response.content.decode()
    shown = re.search(r'class="vTextField cikk-share-url" value="([^"]+)"', html).group(1)
    assert shown.endswith(share_url(link))
    assert Client().get(share_url(link)).status_code == 200
    admin_client.post(url, {"revoke": link.pk})
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert Client().get(share_url(link)).status_code == 410
    # Days are bounded; nonsense falls back to the default.
    admin_client.post(url, {"days": "100000"})
    admin_client.post(url, {"days": "sok"})
    longest = ShareLink.objects.filter(revoked_at__isnull=True).order_by("-expires_at").first()
    assert longest.expires_at - timezone.now() <= timedelta(days=sharing.MAX_DAYS)


def test_share_admin_refuses_non_editors(client, django_user_model):
    article = make_article("idegen")
    url = reverse("admin:articles_article_share", args=[article.pk])
    assert client.post(url, {"days": "7"}).status_code == 302  # to the login page
    outsider = django_user_model.objects.create_user("kivulallo", password="x", is_staff=True)
    client.force_login(outsider)
    assert client.post(url, {"days": "7"}).status_code == 403
    assert not ShareLink.objects.exists()
