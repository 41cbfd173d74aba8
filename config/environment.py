"""Small parsers that turn environment variables into Django settings.

They live outside settings.py so that tests can call them with any environment, and so that a
mistyped value fails at start-up with a message that names the variable.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
MEMCACHED_CACHE = "django.core.cache.backends.memcached.PyMemcacheCache"
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
S3_STORAGE = "storages.backends.s3.S3Storage"


def cache_from_url(url: str | None, *, key_prefix: str = "cikk") -> dict[str, Any]:
    """One CACHES entry from a URL.

    - empty or ``locmem://[name]``: this process's memory (the default; fine for one server);
    - ``redis://host:6379/0``, ``rediss://…`` (TLS), ``unix:///run/redis.sock?db=0``:
      Django's Redis backend, shared by every app server;
    - ``memcached://host:11211[,host2:11211]`` or ``pymemcache://…``; ``memcached:///run/m.sock``
      for a socket: Django's pymemcache backend;
    - ``dummy://``: caches nothing (for measuring the uncached path).
    """
    url = (url or "").strip()
    if not url:
        return {"BACKEND": LOCMEM_CACHE, "LOCATION": key_prefix, "KEY_PREFIX": key_prefix}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "locmem":
        return {
            "BACKEND": LOCMEM_CACHE,
            "LOCATION": parts.netloc or key_prefix,
            "KEY_PREFIX": key_prefix,
        }
    if scheme == "dummy":
        return {"BACKEND": DUMMY_CACHE}
    if scheme in {"redis", "rediss", "unix"}:
        # redis-py understands these URLs itself, password and database number included.
        return {"BACKEND": REDIS_CACHE, "LOCATION": url, "KEY_PREFIX": key_prefix}
    if scheme in {"memcached", "pymemcache"}:
        if parts.netloc:
            servers = [server.strip() for server in parts.netloc.split(",") if server.strip()]
            location: str | list[str] = servers if len(servers) > 1 else servers[0]
        elif parts.path:
            location = f"unix:{unquote(parts.path)}"
        else:
            raise ImproperlyConfigured(f"CACHE_URL {url!r} names no memcached server")
        entry: dict[str, Any] = {
            "BACKEND": MEMCACHED_CACHE,
            "LOCATION": location,
            "KEY_PREFIX": key_prefix,
        }
        timeout = parse_qs(parts.query).get("timeout")
        if timeout:
            entry["TIMEOUT"] = int(timeout[0])
        return entry
    raise ImproperlyConfigured(
        f"CACHE_URL has an unknown scheme {parts.scheme!r}: use locmem://, redis://, rediss://, "
        "memcached://, pymemcache:// or dummy://"
    )


def _first(env: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return ""


def media_storage_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The STORAGES["default"] entry: the file system, or S3-compatible object storage.

    Object storage is chosen by naming a bucket (CIKK_S3_BUCKET or AWS_STORAGE_BUCKET_NAME).
    Credentials are read by boto3 itself from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an
    instance role), so no secret passes through the settings. django-storages is an optional
    extra (`pip install 'cikk[s3]'`): it is only looked for when a bucket is configured.
    """
    bucket = _first(env, "CIKK_S3_BUCKET", "AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if importlib.util.find_spec("storages") is None or importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured(
            "CIKK_S3_BUCKET is set but django-storages[s3] is not installed: pip install 'cikk[s3]'"
        )
    options: dict[str, Any] = {
        "bucket_name": bucket,
        # Article images are public; signed, expiring URLs would break cached pages and feeds.
        "querystring_auth": False,
        # Names are content hashes (articles.images), so the same name means the same bytes.
        "file_overwrite": True,
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }
    optional = {
        "endpoint_url": _first(env, "CIKK_S3_ENDPOINT_URL", "AWS_S3_ENDPOINT_URL"),
        "region_name": _first(env, "CIKK_S3_REGION", "AWS_S3_REGION_NAME"),
        "custom_domain": _first(env, "CIKK_S3_CUSTOM_DOMAIN", "AWS_S3_CUSTOM_DOMAIN"),
        "location": _first(env, "CIKK_S3_PREFIX"),
        "addressing_style": _first(env, "CIKK_S3_ADDRESSING_STYLE"),
    }
    options.update({key: value for key, value in optional.items() if value})
    return {"BACKEND": S3_STORAGE, "OPTIONS": options}


def media_origin(storage: Mapping[str, Any]) -> str | None:
    """The origin images are served from when it is not this site (for the CSP img-src).

    Exactly the origin of the URLs the storage will write: the custom domain, or the one botocore
    builds for this bucket, region, endpoint and addressing style (the way django-storages makes
    its unsigned URLs), e.g. `https://cikk-media.s3.amazonaws.com`. Never a wildcard such as
    `https://*.amazonaws.com`, which would let any bucket serve images on our pages.
    """
    if storage.get("BACKEND") != S3_STORAGE:
        return None
    options = storage["OPTIONS"]
    if options.get("custom_domain"):
        # django-storages writes `{url_protocol}//{custom_domain}/…`, https: by default.
        protocol = options.get("url_protocol") or "https:"
        return f"{protocol}//{options['custom_domain']}"
    url = bucket_object_url(options, "images/probe.jpg")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def bucket_object_url(options: Mapping[str, Any], key: str) -> str:
    """The unsigned URL of `key` in the bucket that these S3Storage options describe, built by
    botocore without contacting anyone (no credentials needed)."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    s3_config: dict[str, Any] = {}
    if options.get("addressing_style"):
        s3_config["addressing_style"] = options["addressing_style"]
    client = boto3.session.Session().client(
        "s3",
        region_name=options.get("region_name") or None,
        endpoint_url=options.get("endpoint_url") or None,
        config=Config(signature_version=UNSIGNED, s3=s3_config),
    )
    location = (options.get("location") or "").strip("/")
    full_key = f"{location}/{key}" if location else key
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": options["bucket_name"], "Key": full_key}
    )
    return url.split("?", 1)[0]
