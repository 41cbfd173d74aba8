"""Test settings: the real settings plus what makes a test run fast and hermetic."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

# Hashing passwords slowly is a feature in production and a cost in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before tests: serve static names unhashed.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
