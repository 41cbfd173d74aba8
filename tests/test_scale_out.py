"""Two app servers sharing PostgreSQL and Redis: what an editor does through one is what an
anonymous reader gets from the other on the very next request.

Runs where PostgreSQL (DATABASE_URL, .ci/with-postgres) and Redis (CIKK_TEST_REDIS_URL,
.ci/with-redis) are available: skips on SQLite (CI's SQLite pass), and on PostgreSQL without
Redis skips with the reason, or fails under CI=true (CI's PostgreSQL pass has both).
Two real gunicorn servers with production settings (DEBUG off, page cache on, CACHE_URL=redis)
on two loopback ports, against the test database.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """urllib with cookies, no redirects followed (so a 302 is seen as one)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, **headers) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def csrf(self, path: str) -> str:
        status, html = self.request(path)
        assert status == 200, (path, status, html[:500])
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/admin/login/")
        status, html = self.request(
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        assert status == 302, html[:1000]


@pytest.fixture
def servers(tmp_path, live_server_env):
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        log = open(tmp_path / f"gunicorn-{port}.log", "w")  # noqa: SIM115  (closed below)
        procs.append(
            (
                subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("gunicorn")),
                        "config.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "2",
                        "--chdir",
                        str(ROOT),
                    ],
                    env=live_server_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/robots.txt", timeout=2).read()
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if time.monotonic() > deadline:
                        pytest.fail(f"gunicorn on {base} did not start: see {tmp_path}")
                    time.sleep(0.2)
        yield bases
    finally:
        for proc, log in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


@pytest.fixture
def live_server_env(tmp_path):
    if connection.vendor != "postgresql":  # the SQLite pass; CI's PostgreSQL pass runs it
        pytest.skip("needs PostgreSQL and Redis: .ci/with-redis .ci/with-postgres (CI runs it)")
    redis_url = os.environ.get("CIKK_TEST_REDIS_URL", "")
    _need(bool(redis_url), "needs Redis: CIKK_TEST_REDIS_URL (.ci/with-redis)")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    settings = connection.settings_dict
    database_url = (
        f"postgres://{urllib.parse.quote(settings['USER'])}:"
        f"{urllib.parse.quote(settings['PASSWORD'])}@{settings['HOST']}:{settings['PORT']}/"
        f"{settings['NAME']}"
    )
    static_root = tmp_path / "static"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "scale-out-test-only",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_HTTPS": "0",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "CACHE_URL": redis_url,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CIKK_LOGIN_RATE_LIMIT": "0",
        "CIKK_PAGE_CACHE": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def test_an_edit_or_withdrawal_through_one_server_is_seen_through_the_other(
    servers, django_user_model
):
    from django.contrib.auth.models import Permission

    a, b = servers
    article = make_article("Közös cikk", date=timezone.now() - timedelta(hours=2))
    make_article("Másik cikk", date=timezone.now() - timedelta(hours=3))
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    editor = django_user_model.objects.create_user("szerk", is_staff=True)
    hasher = PBKDF2PasswordHasher()  # what production settings verify (tests hash with MD5)
    editor.password = hasher.encode("jelszo-123", hasher.salt())
    editor.save()
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_article", "view_article"])
    )
    reader_a, reader_b = Browser(a), Browser(b)
    for reader in (reader_a, reader_b, reader_a, reader_b):  # filled and hit the shared cache
        assert reader.request("/cikk/kozos-cikk/")[0] == 200
        assert "Közös cikk" in reader.request("/")[1]

    # An edit (any writer: here the test process) is seen through both at once.
    Article.objects.filter(pk=article.pk).update(title="Közös cikk, javítva")
    for reader in (reader_b, reader_a):
        status, html = reader.request("/cikk/kozos-cikk/")
        assert status == 200 and "Közös cikk, javítva" in html

    # A withdrawal through server A's admin: the next anonymous request to B is a 404.
    editor_a = Browser(a)
    editor_a.login("szerk", "jelszo-123")
    token = editor_a.csrf("/admin/articles/article/")
    status, _html = editor_a.request(
        "/admin/articles/article/",
        {"csrfmiddlewaretoken": token, "action": "withdraw", "_selected_action": [article.pk]},
    )
    assert status == 302
    assert not Article.objects.get(pk=article.pk).released
    assert reader_b.request("/cikk/kozos-cikk/")[0] == 404
    assert "Közös cikk" not in reader_b.request("/")[1]
    assert reader_a.request("/cikk/kozos-cikk/")[0] == 404
