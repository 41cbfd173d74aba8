"""Headless Chromium through Playwright, as DESIGN.md prescribes: Debian's /usr/bin/chromium,
never a downloaded browser, and every request kept on 127.0.0.1."""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures in
# that same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run. Missing Chromium skips locally and fails on CI."""
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (.ci/run must install it)")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class RecordingPage:
    """A page plus every URL it requested, so a test can prove nothing left 127.0.0.1."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        # Requests that failed outright or were answered with an HTTP error status.
        self.failed_requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "requestfailed",
            lambda request: self.failed_requests.append(f"{request.url} {request.failure}"),
        )
        page.on(
            "response",
            lambda response: (
                self.failed_requests.append(f"{response.url} {response.status}")
                if response.status >= 400
                else None
            ),
        )
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def foreign_requests(self) -> list[str]:
        """Requests to anything but loopback (data: URLs are not network requests)."""
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about"}:
                continue
            if parts.hostname not in {"127.0.0.1", "localhost"}:
                foreign.append(url)
        return foreign


@pytest.fixture
def page(browser, live_server) -> Iterator[RecordingPage]:
    """A fresh browser context (no cookies) on the live server, recording its requests."""
    context = browser.new_context(base_url=live_server.url)
    recording = RecordingPage(context.new_page())
    yield recording
    recording.page.close()
    # A page with unsaved editor text sends its last autosave as it closes (sendBeacon): let
    # the live server finish it before the test database is flushed underneath it.
    time.sleep(0.3)
    context.close()


SEED_SLUG = "megeri-nvidiaba-fektetni"


@pytest.fixture
def released_seed(seed_path, tmp_path):
    """The magazine's own article, imported by the real importer and released for the test.

    The seed names two images the repository does not have (`/Befalapok2/otp.jpg`,
    `/NVIDIA/nvda.png`); stand-ins drawn by Pillow are put at those paths under --assets so the
    page requests nothing that fails.
    """
    from django.utils import timezone
    from PIL import Image

    from articles.importing import Importer
    from articles.models import Article

    assets = tmp_path / "assets"
    (assets / "Befalapok2").mkdir(parents=True)
    (assets / "NVIDIA").mkdir()
    Image.new("RGB", (1200, 630), "#1f6f50").save(assets / "Befalapok2" / "otp.jpg", "JPEG")
    Image.new("RGB", (800, 800), "#76b900").save(assets / "NVIDIA" / "nvda.png", "PNG")

    outcomes = list(Importer(assets=assets).run([seed_path]))
    assert [outcome.status for outcome in outcomes] == ["created"], [o.line() for o in outcomes]
    article = Article.objects.get(slug=SEED_SLUG)
    article.released = True
    article.date = min(article.date, timezone.now())
    article.save()
    return article


# --- Independent validators: the Nu Html Checker (vnu-jar) and axe-core, both from npm ---------

REPO = Path(__file__).resolve().parents[2]
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
SAMPLE_WITH_HTML = REPO / "content" / "kamatos-kamat.md"


def missing_tool(reason: str) -> None:
    """A validator that is not installed skips the test locally and fails it on CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (.ci/run must install it; with CI=true this is never a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def vnu_command() -> list[str]:
    """`java -jar vnu.jar`: the machine's Java running the checker pinned in package-lock.json."""
    java = shutil.which("java")
    if java is None:
        missing_tool("Java is not installed (apt-get install default-jre-headless)")
    if not VNU_JAR.is_file():
        missing_tool(f"the Nu Html Checker is missing at {VNU_JAR} (npm ci --ignore-scripts)")
    # The run is short: the JIT's optimising tier never pays for itself (C1 alone needs about
    # half the CPU time), and C1's deeper frames need the larger stack vnu's docs ask for.
    jvm_options = ["-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    return [java, *jvm_options, "-jar", str(VNU_JAR)]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser bundle, pinned in package-lock.json."""
    if not AXE_JS.is_file():
        missing_tool(f"axe-core is missing at {AXE_JS} (npm ci --ignore-scripts)")
    return AXE_JS.read_text(encoding="utf-8")


# Everything else content.css styles and the seed lacks: code with Pygments colours, a formula
# KaTeX cannot parse, a footnote, a quotation, struck-out text, a Markdown table.
SHOWCASE_BODY = r"""Egy képlet, amit a szerző elrontott: $$ \frac{1} $$, és egy jó: $$ x^2 $$.

> Idézet egy elemzésből, `inline kóddal` és ~~áthúzott~~ szöveggel.[^1]

```python
# Kamatos kamat, évente
def future_value(principal: float, rate: float = 0.05, years: int = 10) -> float:
    '''Jövőbeli érték.'''
    return round(principal * (1 + rate) ** years, 2)  # forintban
```

| Év | Hozam |
| --- | ---: |
| 2023 | 12,5 % |
| 2024 | 8,1 % |

[^1]: Egy lábjegyzet [hivatkozással](https://example.com/).
"""


@pytest.fixture
def reader_pages(released_seed) -> dict[str, tuple[str, int]]:
    """The reader pages both validators check, as name → (path, expected status): the home,
    the seed's article, its author, a search with results, a tag, a sample article with raw
    HTML (a house table and math) from content/, an article with the rest of what content.css
    styles, and the 404 page."""
    from articles.importing import Importer
    from articles.models import Article
    from tests.factories import make_article

    outcomes = list(Importer().run([SAMPLE_WITH_HTML]))
    assert [outcome.status for outcome in outcomes] == ["created"], [o.line() for o in outcomes]
    sample = Article.objects.get(slug="kamatos-kamat")
    showcase = make_article("Kód, lábjegyzet és egy hibás képlet", body=SHOWCASE_BODY)
    author = released_seed.author_list()[0]
    tag = sample.tags.order_by("slug").first()
    return {
        "home": ("/", 200),
        "article": (released_seed.get_absolute_url(), 200),
        "author": (author.get_absolute_url(), 200),
        "search": ("/kereses/?q=nvidia", 200),
        "tag": (tag.get_absolute_url(), 200),
        "sample": (sample.get_absolute_url(), 200),
        "showcase": (showcase.get_absolute_url(), 200),
        "not_found": ("/nincs-ilyen-oldal/", 404),
    }


def log_in_editor(page, live_server_url: str, username: str = "e2e-szerkeszto") -> None:
    """An editor (staff, "Szerkesztő" group, the articles permissions) logged in server-side
    with force_login; the browser context gets the session cookie. `page` is Playwright's."""
    from django.contrib.auth.models import Group, Permission, User
    from django.test import Client

    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Szerkesztő")[0])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="articles"))
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server_url}]
    )
