"""Cikk settings: one module, configured from environment variables.

Defaults give a working local site on SQLite; production sets DJANGO_DEBUG=0 and must then
provide DJANGO_SECRET_KEY (see README, "Production").
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.environment import cache_from_url, media_origin, media_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable; a typo fails loudly instead of meaning "off"."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


# Off unless asked for: a forgotten variable must never expose debug pages in production.
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production refuses to start without it; "
            "for local development set DJANGO_DEBUG=1 (make run does)."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105  (DEBUG only)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# Full origins, e.g. https://cikk.example.hu; needed when the admin is reached through another
# scheme or port than the one Django sees.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS. On by default whenever DEBUG is off, so a production site is secure without anyone
# remembering seven variables; DJANGO_HTTPS=0 turns it all off for a plain-http staging box, and
# each variable below can still be set on its own. `make run` (DEBUG on) stays plain http.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", HTTPS)
# One year of HSTS. Preload only sends the `preload` token; joining the browsers' preload list is
# a separate, deliberate step (see docs/deploy.md) and hard to undo.
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", HTTPS)
# Behind nginx or a load balancer that terminates TLS: trust its X-Forwarded-Proto (only safe
# when the proxy overwrites that header, as the nginx snippet in docs/deploy.md does), and take
# the client address for the login rate limit from X-Forwarded-For (config/client_ip.py).
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CIKK_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 1 if BEHIND_PROXY else 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Other sites learn that a reader came from us, never which article they were reading.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "markdownx",
    "reversion",
    "csp",
    "axes",
    "articles",
    "blog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A cached page for an anonymous reader skips every middleware below both ways (the policy
    # header is stored with the page; sessions, CSRF, auth, messages); keyed by the content
    # state, the build and the settings that shape a page (config/page_cache.py).
    "config.page_cache.PageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# Anonymous readers' pages are served from CACHES until the content changes (the key holds the
# content version: config/page_cache.py); this TTL is only a safety net. CIKK_PAGE_CACHE=0
# switches the page cache off. Browsers and proxies revalidate every use (ETag, 304) unless
# CIKK_PUBLIC_MAX_AGE lets them keep a page that many seconds without asking.
CACHE_MIDDLEWARE_SECONDS = env_int("CIKK_PAGE_CACHE_SECONDS", 3600)
CIKK_PUBLIC_MAX_AGE = env_int("CIKK_PUBLIC_MAX_AGE", 0)
CACHE_MIDDLEWARE_KEY_PREFIX = "page"
if not env_bool("CIKK_PAGE_CACHE", True):
    MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("config.page_cache.")]

# Failed logins are counted per username + client address; after AXES_FAILURE_LIMIT failures that
# pair is locked out for the cool-off time (HTTP 429), while other users and addresses are not.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("CIKK_LOGIN_RATE_LIMIT", True)
AXES_FAILURE_LIMIT = env_int("CIKK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CIKK_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Reader pages are Jinja2 templates (templates/jinja2/, environment in blog/templating.py: compiled
# once per process, several times faster to render than Django templates); the admin, its
# widgets and django-markdownx keep Django templates (templates/admin/, apps' templates/).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "blog.templating.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite file by default; PostgreSQL (psycopg 3) with DATABASE_URL=postgres://user:pw@host/db.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # gthread workers are not killed by gunicorn's timeout while a thread waits on the database,
    # so the server bounds every statement itself. 0 switches it off (e.g. for a long migration).
    STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 30)
    if STATEMENT_TIMEOUT < 0:
        raise ImproperlyConfigured("DATABASE_STATEMENT_TIMEOUT must be 0 (off) or seconds > 0")
    if STATEMENT_TIMEOUT:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c statement_timeout={STATEMENT_TIMEOUT * 1000}"
        )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a real server database: WAL lets readers (several gunicorn workers) read while
    # one writer commits; synchronous=NORMAL is durable in WAL mode and skips an fsync per
    # commit (the importer commits once per file); IMMEDIATE transactions take the write lock
    # up front, so two writers wait for each other (busy timeout) instead of failing with
    # "database is locked" half-way through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Readers and editors get Hungarian whatever their browser asks for (no LocaleMiddleware):
# a half-English admin next to a Hungarian site helps nobody. English is a translation away.
LANGUAGE_CODE = "hu"
LANGUAGES = [("hu", "Magyar"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Budapest"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# KaTeX comes from the npm registry (package.json, `npm ci`) and is served as our own static
# files under /static/katex/; never from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("katex", BASE_DIR / "node_modules" / "katex" / "dist"),
]

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Media: the file system under MEDIA_ROOT, or S3-compatible object storage when a bucket is named
# (CIKK_S3_BUCKET; see config/environment.py and docs/deploy.md).
STORAGES = {
    "default": media_storage_from_env(os.environ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded and imported images: real JPEG/PNG/GIF/WebP only, within these caps.
CIKK_IMAGE_MAX_BYTES = env_int("CIKK_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
CIKK_IMAGE_MAX_PIXELS = env_int("CIKK_IMAGE_MAX_PIXELS", 40_000_000)
# The hard time limit (seconds) of a render for an admin save or the live preview
# (articles/render_limits.py: it runs in a worker process that is stopped when time is up).
CIKK_RENDER_TIMEOUT = float(os.environ.get("CIKK_RENDER_TIMEOUT", "5"))
# A Markdown file larger than this is refused by the importer (no article is that long).
CIKK_IMPORT_MAX_BYTES = env_int("CIKK_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
# Site name and the absolute base URL used in feeds, canonical links and social cards.
CIKK_SITE_NAME = os.environ.get("CIKK_SITE_NAME", "Cikk")
CIKK_SITE_URL = os.environ.get("CIKK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# django-markdownx: the admin preview goes through the one renderer.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "articles.render_limits.markdownify"
MARKDOWNX_MEDIA_PATH = "uploads/"
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (1600, 0), "quality": 90}
MARKDOWNX_UPLOAD_MAX_SIZE = CIKK_IMAGE_MAX_BYTES
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MARKDOWNX_SERVER_CALL_LATENCY = 400

LOGIN_URL = "admin:login"

# Local memory by default (one server); CACHE_URL=redis://… or memcached://… shares one cache
# between app servers (config/environment.py: cache_from_url).
CACHES = {
    "default": cache_from_url(
        os.environ.get("CACHE_URL"), key_prefix=os.environ.get("CACHE_KEY_PREFIX", "cikk")
    )
}

# Content-Security-Policy (django-csp 4): nothing but our own files may run. No inline script
# anywhere (templates load static JS files, KaTeX included). Articles keep the `style` attributes
# the sanitizer allows (widths, alignment: articles/render/sanitize.py) and the admin's widgets
# write a few too, hence 'unsafe-inline' for style *attributes* only, never for <style> or
# any script.
_MEDIA_ORIGIN = media_origin(STORAGES["default"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        # data: for the SVG icons that the admin and KaTeX's CSS inline.
        "img-src": ["'self'", "data:", *([_MEDIA_ORIGIN] if _MEDIA_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
