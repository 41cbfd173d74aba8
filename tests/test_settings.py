"""Production settings: started in a subprocess with a real environment, as a server would be."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.environment import (
    LOCMEM_CACHE,
    MEMCACHED_CACHE,
    REDIS_CACHE,
    S3_STORAGE,
    cache_from_url,
    media_origin,
    media_storage_from_env,
)

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "example.com",
}
# Everything a developer's shell or CI may have set that would change what is tested here.
SCRUBBED_PREFIXES = ("DJANGO_", "CIKK_", "AWS_", "DATABASE_", "CACHE_URL", "STATIC_ROOT")


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def settings_in(names: list[str], **env: str) -> dict:
    """The values of some settings as a process started with `env` sees them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    )
    result = run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_without_a_single_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_a_weak_setup():
    """The test above means something only if the same command fails on a weak setup."""
    weak = {**PRODUCTION, "DJANGO_HTTPS": "0", "DJANGO_SECRET_KEY": "short"}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **weak)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012"):
        assert warning in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for():
    values = settings_in(["DEBUG"], DJANGO_SECRET_KEY="x" * 50)
    assert values["DEBUG"] is False


def test_a_debug_typo_fails_loudly():
    result = run(["manage.py", "check"], **{**PRODUCTION, "DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr
    assert "'maybe'" in result.stderr


def test_production_defaults_are_https_only():
    values = settings_in(
        [
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SECURE_PROXY_SSL_HEADER",
            "ALLOWED_HOSTS",
            "STORAGES",
        ],
        **PRODUCTION,
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    # Without DJANGO_BEHIND_PROXY a client-sent X-Forwarded-Proto is not trusted.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["ALLOWED_HOSTS"] == ["example.com"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert values["STORAGES"]["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )


def test_local_development_stays_plain_http():
    names = ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "DEBUG"]
    values = settings_in([*names, "ALLOWED_HOSTS"], DJANGO_DEBUG="1")
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]


def test_a_plain_http_staging_can_switch_https_off_and_keep_one_setting():
    values = settings_in(
        ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE"],
        **PRODUCTION,
        DJANGO_HTTPS="0",
        DJANGO_SESSION_COOKIE_SECURE="1",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_SECURE": True,
    }


def test_behind_a_proxy_the_forwarded_proto_and_address_are_trusted():
    values = settings_in(
        ["SECURE_PROXY_SSL_HEADER", "CIKK_TRUSTED_PROXY_COUNT", "CSRF_TRUSTED_ORIGINS"],
        **PRODUCTION,
        DJANGO_BEHIND_PROXY="1",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://example.com, https://www.example.com",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["CIKK_TRUSTED_PROXY_COUNT"] == 1
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://example.com", "https://www.example.com"]


def test_cache_and_database_come_from_urls():
    values = settings_in(
        ["CACHES", "DATABASES"],
        **PRODUCTION,
        CACHE_URL="redis://cache.internal:6379/2",
        DATABASE_URL="postgres://cikk:titok@db.internal:5432/cikk",
    )
    assert values["CACHES"]["default"]["BACKEND"] == REDIS_CACHE
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/2"
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == (
        "db.internal",
        "cikk",
        "cikk",
    )


def test_postgresql_statements_are_bounded_by_default():
    url = "postgres://cikk:titok@db.internal:5432/cikk"

    def options(**env: str) -> dict:
        values = settings_in(["DATABASES"], **PRODUCTION, DATABASE_URL=url, **env)
        return values["DATABASES"]["default"].get("OPTIONS", {})

    assert options()["options"] == "-c statement_timeout=30000"
    assert options(DATABASE_STATEMENT_TIMEOUT="5")["options"] == "-c statement_timeout=5000"
    assert "options" not in options(DATABASE_STATEMENT_TIMEOUT="0")
    result = run(
        ["manage.py", "check"], **PRODUCTION, DATABASE_URL=url, DATABASE_STATEMENT_TIMEOUT="-1"
    )
    assert result.returncode != 0
    assert "DATABASE_STATEMENT_TIMEOUT" in result.stderr


def test_a_bad_cache_url_stops_the_start():
    result = run(["manage.py", "check"], **PRODUCTION, CACHE_URL="mongodb://x")
    assert result.returncode != 0
    assert "CACHE_URL has an unknown scheme 'mongodb'" in result.stderr


def test_collectstatic_hashes_and_compresses_katex_with_its_fonts(tmp_path):
    static_root = tmp_path / "static"
    result = run(
        ["manage.py", "collectstatic", "--noinput", "-v", "0"],
        **PRODUCTION,
        STATIC_ROOT=str(static_root),
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    css_name = manifest["katex/katex.min.css"]
    font_name = manifest["katex/fonts/KaTeX_Main-Regular.woff2"]
    assert css_name != "katex/katex.min.css"
    assert font_name.startswith("katex/fonts/KaTeX_Main-Regular.") and font_name.endswith(".woff2")
    assert (static_root / font_name).is_file()
    # The stored CSS points at the hashed font, so a year-long cache can never serve a stale one.
    css = (static_root / css_name).read_text()
    assert font_name.removeprefix("katex/") in css
    assert (static_root / f"{css_name}.gz").is_file()


# --- the parsers behind the settings, with every branch and the bad input --------------------


def test_no_cache_url_means_local_memory():
    assert cache_from_url(None)["BACKEND"] == LOCMEM_CACHE
    assert cache_from_url("  ")["BACKEND"] == LOCMEM_CACHE
    assert cache_from_url("locmem://egyik")["LOCATION"] == "egyik"


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:jelszo@cache.example.com:6380/1",
        "unix:///run/redis/redis.sock?db=3",
    ],
)
def test_redis_urls_go_to_djangos_redis_backend_as_they_are(url):
    assert cache_from_url(url, key_prefix="cikk") == {
        "BACKEND": REDIS_CACHE,
        "LOCATION": url,
        "KEY_PREFIX": "cikk",
    }


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("memcached://10.0.0.5:11211", "10.0.0.5:11211"),
        ("pymemcache://a:11211,b:11211", ["a:11211", "b:11211"]),
        ("memcached:///run/memcached.sock", "unix:/run/memcached.sock"),
    ],
)
def test_memcached_urls(url, location):
    entry = cache_from_url(url)
    assert entry["BACKEND"] == MEMCACHED_CACHE
    assert entry["LOCATION"] == location


def test_memcached_timeout_from_the_query():
    assert cache_from_url("memcached://m:11211?timeout=60")["TIMEOUT"] == 60


@pytest.mark.parametrize("url", ["mongodb://x", "http://cache", "memcached://"])
def test_unknown_or_empty_cache_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_from_url(url)


def test_media_on_the_file_system_by_default():
    assert media_storage_from_env({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert media_origin(media_storage_from_env({})) is None


def test_media_in_an_s3_compatible_bucket():
    pytest.importorskip("storages", reason="the optional s3 extra is not installed")
    entry = media_storage_from_env(
        {
            "CIKK_S3_BUCKET": "cikk-media",
            "CIKK_S3_ENDPOINT_URL": "https://s3.eu-central-003.example.com",
            "CIKK_S3_REGION": "eu-central-003",
        }
    )
    assert entry["BACKEND"] == S3_STORAGE
    assert entry["OPTIONS"]["bucket_name"] == "cikk-media"
    assert entry["OPTIONS"]["endpoint_url"] == "https://s3.eu-central-003.example.com"
    assert entry["OPTIONS"]["querystring_auth"] is False
    assert media_origin(entry) == "https://s3.eu-central-003.example.com"
    # The options are ones django-storages accepts (constructing it contacts nobody).
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**entry["OPTIONS"])
    assert storage.bucket_name == "cikk-media"
    assert storage.url("covers/ab12.jpg") == (
        "https://s3.eu-central-003.example.com/cikk-media/covers/ab12.jpg"
    )


def test_a_cdn_domain_is_the_media_origin():
    pytest.importorskip("storages", reason="the optional s3 extra is not installed")
    entry = media_storage_from_env(
        {"AWS_STORAGE_BUCKET_NAME": "b", "CIKK_S3_CUSTOM_DOMAIN": "kep.example.hu"}
    )
    assert media_origin(entry) == "https://kep.example.hu"


@pytest.mark.parametrize(
    "env",
    [
        {"CIKK_S3_BUCKET": "cikk-media"},
        {"CIKK_S3_BUCKET": "cikk-media", "CIKK_S3_REGION": "eu-central-1"},
        {"CIKK_S3_BUCKET": "cikk-media", "CIKK_S3_ADDRESSING_STYLE": "path"},
        {"CIKK_S3_BUCKET": "cikk.media", "CIKK_S3_REGION": "eu-central-1"},
        {"CIKK_S3_BUCKET": "b", "CIKK_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
        {
            "CIKK_S3_BUCKET": "b",
            "CIKK_S3_ENDPOINT_URL": "https://s3.example.com",
            "CIKK_S3_ADDRESSING_STYLE": "virtual",
        },
        {"CIKK_S3_BUCKET": "b", "CIKK_S3_PREFIX": "media", "CIKK_S3_CUSTOM_DOMAIN": "k.example"},
    ],
)
def test_the_media_origin_is_exactly_where_the_storage_points(env):
    """The CSP origin is the one of the URLs django-storages writes, never a wildcard."""
    pytest.importorskip("storages", reason="the optional s3 extra is not installed")
    from urllib.parse import urlsplit

    from storages.backends.s3 import S3Storage

    entry = media_storage_from_env(env)
    url = S3Storage(**entry["OPTIONS"]).url(f"images/{'c' * 32}.jpg")
    parts = urlsplit(url)
    origin = media_origin(entry)
    assert origin == f"{parts.scheme}://{parts.netloc}"
    assert "*" not in origin


def test_the_csp_lets_images_come_from_the_bucket():
    pytest.importorskip("storages", reason="the optional s3 extra is not installed")
    values = settings_in(
        ["CONTENT_SECURITY_POLICY"],
        **PRODUCTION,
        CIKK_S3_BUCKET="cikk-media",
        CIKK_S3_CUSTOM_DOMAIN="kep.example.hu",
    )
    img_src = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert img_src == ["'self'", "data:", "https://kep.example.hu"]
    # Without a custom domain: the bucket's own origin, not every bucket of the provider.
    values = settings_in(["CONTENT_SECURITY_POLICY"], **PRODUCTION, CIKK_S3_BUCKET="cikk-media")
    img_src = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert img_src == ["'self'", "data:", "https://cikk-media.s3.amazonaws.com"]


def test_a_bucket_without_django_storages_is_a_clear_error(monkeypatch):
    import config.environment

    monkeypatch.setattr(config.environment.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImproperlyConfigured, match=r"pip install 'cikk\[s3\]'"):
        media_storage_from_env({"CIKK_S3_BUCKET": "cikk-media"})


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    """Several gunicorn workers read while the importer writes; a second writer waits."""
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], "
        "c.execute('PRAGMA synchronous').fetchone()[0], "
        "connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = run(["-c", code], **PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "1", "IMMEDIATE"]  # 1 = synchronous NORMAL


def test_postgres_urls_get_no_sqlite_options():
    values = settings_in(["DATABASES"], **PRODUCTION, DATABASE_URL="postgres://u:p@db/cikk")
    assert "transaction_mode" not in values["DATABASES"]["default"].get("OPTIONS", {})
