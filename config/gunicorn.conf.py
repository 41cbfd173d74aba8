"""gunicorn settings for `make serve` and production (gunicorn -c config/gunicorn.conf.py).

Every value comes from the environment with a default that suits a small server behind nginx.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threaded workers (gthread), cores + 1 processes of 2 threads each by default. Why not the classic
# 2 x cores + 1 sync workers: a sync worker answers one request per connection and then closes it,
# so nginx's upstream keep-alive (docs/deploy.md) is wasted and every request pays a new connection
# (accept, parse, close); gthread keeps the connection. Static files and page-cache hits cost less
# CPU per request this way and uncached pages the same (bench/README.md, Serving); the GIL runs one
# Python thread of a process at a time, hence only 2 threads. Note: with threads the worker timeout
# below no longer kills a request that hangs (the main thread keeps the worker alive); renders are
# bounded by CIKK_RENDER_TIMEOUT on their own. GUNICORN_THREADS=1 gives the sync worker back.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
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
