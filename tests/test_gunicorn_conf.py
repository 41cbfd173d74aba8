"""config/gunicorn.conf.py: the defaults a production server starts with, and that the threaded
worker really keeps a connection open (what nginx's upstream keep-alive relies on)."""

import http.client
import multiprocessing
import os
import runpy
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "config" / "gunicorn.conf.py"


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults_are_threaded_workers_one_per_core_plus_one(monkeypatch):
    conf = load(monkeypatch)
    assert conf["workers"] == multiprocessing.cpu_count() + 1
    assert conf["threads"] == 2
    assert conf["worker_class"] == "gthread"
    assert conf["keepalive"] > 0


def test_one_thread_gives_the_sync_worker_back(monkeypatch):
    conf = load(monkeypatch, GUNICORN_THREADS="1", WEB_CONCURRENCY="7")
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (7, 1, "sync")


def test_bad_numbers_are_refused(monkeypatch):
    with pytest.raises(ValueError):
        load(monkeypatch, GUNICORN_THREADS="two")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_server_keeps_the_connection_for_the_next_request(tmp_path):
    """Two requests over one HTTP/1.1 connection, answered by the production configuration
    (a sync worker would close it after the first: `Connection: close`)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CIKK_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="1",
        GUNICORN_LOG_LEVEL="warning",
    )
    env.pop("GUNICORN_THREADS", None)
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/robots.txt")
                first = connection.getresponse()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert first.status == 200
        assert b"Sitemap:" in first.read()
        assert (first.getheader("Connection") or "").lower() != "close"
        local = connection.sock.getsockname()
        connection.request("GET", "/robots.txt")
        second = connection.getresponse()
        assert second.status == 200
        second.read()
        assert connection.sock.getsockname() == local  # the same connection, not a new one
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
