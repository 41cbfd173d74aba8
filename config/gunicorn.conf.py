"""gunicorn settings for `make serve` and production (gunicorn -c config/gunicorn.conf.py).

Every value comes from the environment with a default that suits a small server behind nginx.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Pages are rendered at save time, so a request is mostly a few indexed queries and a template:
# CPU-bound work, for which the classic 2 × cores + 1 sync workers fit.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Load Django once in the master: workers start faster and share memory pages.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak in any library can never grow unbounded;
# but rarely: a new worker starts with an empty local-memory page cache, and at 2,000 requests
# bench/serve.py saw workers recycle every ~20 s under load, each one a burst of slow misses.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Access logs are nginx's job; set GUNICORN_ACCESS_LOG=- to log here too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind nginx on the same machine only 127.0.0.1 may set X-Forwarded-* for gunicorn itself.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
