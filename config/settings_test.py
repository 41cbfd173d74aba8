"""Test settings: the real settings plus what makes a test run fast and hermetic."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
# The test client and the e2e live server speak plain http; the HTTPS defaults are tested in
# tests/test_settings.py against real production settings in a subprocess.
os.environ.setdefault("DJANGO_HTTPS", "0")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

# Hashing passwords slowly is a feature in production and a cost in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before tests: serve static names unhashed.
STORAGES = {
    **STORAGES,
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Whatever CACHE_URL the shell has, tests never share a cache with a real server.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# django-axes needs the request in authenticate(), which Client.login() does not pass; the rate
# limit is switched on in tests/test_security_headers.py, where it is tested.
AXES_ENABLED = False
# Tests never run collectstatic: let WhiteNoise look files up as they are asked for instead of
# warning at start-up that STATIC_ROOT does not exist.
WHITENOISE_AUTOREFRESH = True
# The production middleware stack, page cache included: tests see what readers get. A page
# cached by one test never answers another: conftest.py clears the cache around every test.
