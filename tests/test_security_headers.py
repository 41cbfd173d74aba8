"""Security headers on every response, and the rate limit on failed admin logins."""

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from config.client_ip import client_ip

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/?next=/admin/"


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("url", ["/", LOGIN_URL])
def test_every_page_sends_the_protective_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_csp_allows_only_our_own_scripts(client):
    directives = csp_directives(client.get("/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    # Inline style attributes (KaTeX) are allowed; inline <style> and any inline script are not.
    assert directives["style-src-attr"] == ["'unsafe-inline'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    header = client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-eval" not in header
    assert "script-src 'self';" in header + ";"


def test_hsts_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_plain_http_is_redirected_to_https_when_configured(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/cikk/valami/")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/cikk/valami/"


def test_the_proxy_header_makes_a_request_secure(client, settings):
    """Behind nginx the app sees http; X-Forwarded-Proto: https must stop the redirect loop."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200


@pytest.fixture
def rate_limited(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    return settings


@pytest.fixture
def editors():
    user_model = get_user_model()
    anna = user_model.objects.create_user("anna", password="helyes-jelszo-1", is_staff=True)
    bela = user_model.objects.create_user("bela", password="helyes-jelszo-2", is_staff=True)
    return anna, bela


def post_login(client, username, password, remote_addr="203.0.113.7"):
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password},
        REMOTE_ADDR=remote_addr,
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client, rate_limited, editors
):
    for _ in range(4):
        response = post_login(client, "anna", "rossz")
        assert response.status_code == 200  # the login form again, with an error
    assert post_login(client, "anna", "rossz").status_code == 429
    response = post_login(client, "anna", "helyes-jelszo-1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_lock_out_another_user_or_address(client, rate_limited, editors):
    for _ in range(5):
        post_login(client, "anna", "rossz")
    response = post_login(client, "bela", "helyes-jelszo-2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    client.logout()
    # The same user from elsewhere (lockout is by username *and* address) still gets in.
    response = post_login(client, "anna", "helyes-jelszo-1", remote_addr="198.51.100.9")
    assert response.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, rate_limited, editors):
    for _ in range(4):
        post_login(client, "anna", "rossz")
    assert post_login(client, "anna", "helyes-jelszo-1").status_code == 302
    client.logout()
    for _ in range(4):
        assert post_login(client, "anna", "rossz").status_code == 200
    assert post_login(client, "anna", "helyes-jelszo-1").status_code == 302


def test_behind_a_proxy_the_rate_limit_sees_the_client_not_the_proxy(client, settings, editors):
    settings.AXES_ENABLED = True
    settings.CIKK_TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        client.post(
            LOGIN_URL,
            {"username": "anna", "password": "rossz"},
            REMOTE_ADDR="127.0.0.1",
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    other_reader = client.post(
        LOGIN_URL,
        {"username": "anna", "password": "helyes-jelszo-1"},
        REMOTE_ADDR="127.0.0.1",
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    assert other_reader.status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # not behind a proxy: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged entry on the left is skipped
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1"),  # shorter chain than configured: not trusted
        (1, "", "10.0.0.1"),
    ],
)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.CIKK_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(request) == expected
