"""Site-wide behaviour: language and small URLs every browser asks for."""

import pytest


def test_favicon_ico_redirects_to_our_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/static/img/favicon.svg")


@pytest.mark.django_db
def test_admin_speaks_hungarian_even_to_an_english_browser(client, django_user_model):
    user = django_user_model.objects.create_superuser("fonok", "f@example.com", "x")
    client.force_login(user)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="hu"' in html
    assert "Site administration" not in html
