"""An editor's whole day in a real Chromium at 1280×800, through the UI the editor uses.

Log in through the admin's login form as a member of the "Szerkesztő" group (not a superuser);
write an article with math, a table and an uploaded image (alt text asked) and a cover with its
alt text; watch the live preview; see the autosave; save a draft (reader: 404); schedule it and
be stopped by the release gate (a TODO) until it is fixed; open a share link in a fresh browser;
put it live (reader: the typeset page); withdraw it (reader: 404). Screenshots of each step go
to tests/e2e/artifacts/ for people; axe-core checks the admin pages on the way.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from PIL import Image

from articles.models import Article, Author, EditorDraft
from tests.e2e.conftest import REPO, RecordingPage
from tests.e2e.test_accessibility import FAILING_IMPACTS, RUN_AXE, describe
from tests.e2e.test_seed_page import typeset

ARTIFACTS = REPO / "tests" / "e2e" / "artifacts"

pytestmark = pytest.mark.django_db(transaction=True)

USERNAME = "e2e-szerkeszto"
PASSWORD = "Hosszu-jelszo-a-bongeszonek-42"  # a throwaway test account
TITLE = "Egy képlet a szerkesztőből"
SLUG = "egy-keplet-a-szerkesztobol"  # what the admin's prepopulate.js makes of TITLE
# Typed into the editor in two parts: most of it pasted, the last sentence typed key by key.
BODY_PASTED = r"""Az összeg $$ a^2 + b^2 = c^2 $$ a szövegben, és egy **kiemelés**.

$$
\int_0^1 x^2 \, dx = \frac{1}{3}
$$
"""
TABLE = """
| Év | Hozam |
| --- | ---: |
| 2023 | 12,5 % |

"""
BODY_TYPED = r"""
Vége: $$e^{i\pi} + 1 = 0$$."""
# (TeX, display) of what the editor wrote, in order.
FORMULAS = [
    (r"a^2 + b^2 = c^2", False),
    (r"\int_0^1 x^2 \, dx = \frac{1}{3}", True),
    (r"e^{i\pi} + 1 = 0", False),
]
TEX = "annotation[encoding='application/x-tex']"


def _squash(text: str) -> str:
    return " ".join(text.split())


def editor_group() -> Group:
    """The group exactly as data migration 0003 defines it.

    Transactional tests flush the database afterwards, data migrations included; Django's
    post_migrate recreates the permissions but not the group, so it is rebuilt here from the
    migration's own list whenever an earlier test flushed it.
    """
    migration = importlib.import_module("articles.migrations.0003_editor_group")
    group, _ = Group.objects.get_or_create(name=migration.GROUP_NAME)
    group.permissions.set(
        [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in migration.EDITOR_PERMISSIONS
        ]
    )
    return group


@pytest.fixture
def editor() -> User:
    """A staff member of the editors' group with a real password (the login form checks it)."""
    user = User.objects.create_user(USERNAME, password=PASSWORD, is_staff=True)
    user.groups.add(editor_group())
    return user


def _formulas(page, scope: str) -> list[tuple[str, bool]]:
    """(TeX, display) of every formula KaTeX typeset inside `scope`, from its annotations."""
    return [
        (_squash(item["tex"]), item["display"])
        for item in page.eval_on_selector_all(
            f"{scope} .katex",
            f"""els => els.map(el => ({{
                tex: el.querySelector("{TEX}").textContent,
                display: !!el.closest(".katex-display"),
            }}))""",
        )
    ]


def _reader(browser, live_server) -> RecordingPage:
    """A fresh, anonymous browser context: no session cookie, nothing shared with the editor."""
    context = browser.new_context(base_url=live_server.url)
    return RecordingPage(context.new_page())


def _axe(recording, axe_source, name: str, found: list[str]) -> None:
    """axe-core on the admin page as it is now; serious and critical findings are collected.
    (Some of axe's own checks insert a <style> the page's CSP refuses: those console errors
    are axe's, not the page's, and are not kept.)"""
    admin = recording.page
    before = len(recording.console_errors)
    admin.evaluate(axe_source)
    results = admin.evaluate(RUN_AXE)
    del recording.console_errors[before:]
    found += [describe(name, v) for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def _shot(admin, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / f"editor-journey-{name}.png"), full_page=False)


def _save(admin) -> None:
    with admin.expect_navigation():
        admin.locator("input[type=submit][name=_continue]").click()


def _set_date(admin, when) -> None:
    admin.fill("#id_date_0", when.strftime("%Y.%m.%d."))
    admin.fill("#id_date_1", when.strftime("%H:%M:%S"))


def test_editor_journey(browser, page, live_server, editor, axe_source):
    """Write (math, a table, an image), preview, autosave, schedule, share with a reviewer,
    release past a blocked error and its fix, withdraw: at 1280×800, with screenshots."""
    Author.objects.create(name="Egri Máté", slug="egri-mate")
    admin = page.page
    admin.set_viewport_size({"width": 1280, "height": 800})
    axe_findings: list[str] = []

    # Log in through the form, as a person would.
    admin.goto(live_server.url + "/admin/articles/article/add/")
    assert "/admin/login/" in admin.url
    admin.fill("#id_username", USERNAME)
    admin.fill("#id_password", PASSWORD)
    with admin.expect_navigation():
        admin.locator("input[type=submit]").click()
    assert admin.url.endswith("/admin/articles/article/add/")

    # Title (fills the slug, and the public URL beside it), date, description, cover with alt.
    admin.locator("#id_title").press_sequentially(TITLE)
    assert admin.input_value("#id_slug") == SLUG
    assert admin.locator(".cikk-public-url").inner_text().endswith(f"/cikk/{SLUG}/")
    _set_date(admin, timezone.localtime() - dt.timedelta(days=1))
    admin.fill("#id_description", "A szerkesztő a böngészőben írta, képletekkel.")
    admin.set_input_files(
        "#id_image", {"name": "borito.png", "mimeType": "image/png", "buffer": _png()}
    )
    admin.fill("#id_image_alt", "Zöld borító a cím mellett")
    assert not admin.is_checked("#id_released")

    # The byline: the author is picked in the autocomplete (select2) of the inline.
    admin.locator("#bylines-0 .select2-selection").click()
    admin.locator(".select2-results__option", has_text="Egri Máté").wait_for()
    admin.locator(".select2-container--open .select2-search__field").fill("egri")
    admin.locator(".select2-results__option.loading-results").wait_for(state="detached")
    admin.locator(".select2-results__option", has_text="Egri Máté").click()
    assert admin.input_value("#id_bylines-0-author") == str(Author.objects.get().pk)

    # The Markdown: paste most, type the rest; a table, a left-over TODO, then an image.
    editor_box = admin.locator("textarea.markdownx-editor")
    editor_box.fill(BODY_PASTED + TABLE + "TODO: ábra a végére\n")
    editor_box.press_sequentially(BODY_TYPED)
    with admin.expect_file_chooser() as chooser:
        admin.locator(".cikk-upload-button").click()
    chooser.value.set_files({"name": "abra.png", "mimeType": "image/png", "buffer": _png()})
    dialog = admin.locator("dialog.cikk-alt-dialog")
    dialog.locator("input").fill("Kék ábra")
    dialog.locator("button", has_text="Beszúrás").click()
    preview = ".markdownx-preview"
    admin.wait_for_function(
        f"""() => {{
          const anns = document.querySelectorAll("{preview} .katex {TEX}");
          return anns.length === {len(FORMULAS)} &&
            [...anns].some(a => a.textContent.includes("e^{{i\\\\pi}}")) &&
            document.querySelector('{preview} img[alt="Kék ábra"]');
        }}""",
        timeout=10_000,
    )
    assert _formulas(admin, preview) == FORMULAS
    assert admin.locator(f"{preview} table td", has_text="12,5 %").count() == 1
    assert admin.locator(f"{preview} strong").inner_text() == "kiemelés"
    assert "szó" in admin.locator(".cikk-word-count").inner_text()
    # Autosaved while writing (a new article's draft, never published).
    admin.locator(".cikk-autosave-status[data-saved='1']").wait_for(timeout=10_000)
    assert EditorDraft.objects.filter(article__isnull=True).exists()
    assert not Article.objects.exists()
    _shot(admin, "1-writing")
    _axe(page, axe_source, "add form", axe_findings)

    # Saved as a draft: the reader gets 404.
    _save(admin)
    assert admin.locator(".messagelist .success").count() == 1
    article = Article.objects.get(slug=SLUG)
    assert (article.released, article.author_list()[0].name) == (False, "Egri Máté")
    assert not EditorDraft.objects.exists()
    assert _reader_status(browser, live_server, article) == 404

    # Scheduled for tomorrow: the release is blocked by the TODO until it is fixed.
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    _set_date(admin, tomorrow)
    admin.check("#id_released")
    _save(admin)
    blocked = admin.locator(".cikk-release-blocked")
    assert blocked.is_visible()
    assert "TODO: ábra a végére" in blocked.inner_text()
    assert not Article.objects.get(pk=article.pk).released
    _shot(admin, "2-release-blocked")
    _axe(page, axe_source, "blocked release", axe_findings)
    text = admin.input_value("textarea.markdownx-editor").replace("TODO: ábra a végére\n", "")
    admin.fill("textarea.markdownx-editor", text)
    _save(admin)
    assert admin.locator(".cikk-release-blocked").count() == 0
    article.refresh_from_db()
    assert article.released and article.status == Article.Status.SCHEDULED
    status = admin.locator(".cikk-status-scheduled").inner_text()
    assert status == f"ütemezve: {timezone.localtime(article.date):%Y-%m-%d %H:%M}"
    assert _reader_status(browser, live_server, article) == 404  # not yet public
    admin.goto(live_server.url + "/admin/articles/article/?status=scheduled")
    assert admin.locator("#result_list", has_text=TITLE).count() == 1
    assert "ütemezve:" in admin.locator("#result_list").inner_text()
    _axe(page, axe_source, "changelist", axe_findings)

    # A share link for an outside reviewer, opened in a fresh browser with no session.
    admin.goto(f"{live_server.url}/admin/articles/article/{article.pk}/share/")
    with admin.expect_navigation():
        admin.locator(".cikk-share-create input[type=submit]").click()
    url = admin.locator(".cikk-share-url").first.input_value()
    _shot(admin, "3-share")
    _axe(page, axe_source, "share", axe_findings)
    reviewer = _reader(browser, live_server)
    response = reviewer.page.goto(url)
    assert response.status == 200
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    typeset(reviewer)
    assert reviewer.page.locator("#article-title").inner_text() == TITLE
    assert _formulas(reviewer.page, ".article-body") == FORMULAS
    assert reviewer.page.locator(".draft-banner").count() == 0
    assert reviewer.page.locator('.article-cover img[alt="Zöld borító a cím mellett"]').count() == 1
    reviewer.page.screenshot(path=str(ARTIFACTS / "editor-journey-4-reviewer.png"))
    assert (
        reviewer.page.goto(live_server.url + "/admin/articles/article/").url.count("/login/") == 1
    )
    reviewer.page.context.close()

    # Live now: date in the past, saved; the reader gets the typeset page.
    admin.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    _set_date(admin, timezone.localtime() - dt.timedelta(hours=1))
    _save(admin)
    assert admin.locator(".errornote").count() == 0
    article.refresh_from_db()
    assert article.is_public
    reader = _reader(browser, live_server)
    response = reader.page.goto(live_server.url + article.get_absolute_url())
    assert response.status == 200
    typeset(reader)
    assert reader.page.locator("#article-title").inner_text() == TITLE
    assert _formulas(reader.page, ".article-body") == FORMULAS
    assert reader.page.locator(".article-body img[alt='Kék ábra']").count() == 1
    assert reader.page.locator(".article-body .katex-error, .math-error").count() == 0
    reader.page.screenshot(path=str(ARTIFACTS / "editor-journey-5-published.png"))
    assert reader.failed_requests == [] and reader.page_errors == []
    assert reader.foreign_requests() == []
    reader.page.context.close()

    # Withdrawn with the bulk action: gone for readers on the next request.
    admin.goto(live_server.url + "/admin/articles/article/")
    admin.locator(f"input[name=_selected_action][value='{article.pk}']").check()
    admin.select_option("select[name=action]", "withdraw")
    with admin.expect_navigation():
        admin.locator("button[name=index]").click()
    assert "visszavonva" in admin.locator(".messagelist").inner_text()
    _shot(admin, "6-withdrawn")
    assert _reader_status(browser, live_server, article) == 404

    cancelled = [
        url for url in page.failed_requests if "/admin/autocomplete/" in url and "ABORTED" in url
    ]
    assert [url for url in page.failed_requests if url not in cancelled] == []
    assert page.console_errors == [] and page.page_errors == []
    assert page.foreign_requests() == []
    assert axe_findings == [], "axe-core, serious or critical:\n" + "\n".join(axe_findings)


def _reader_status(browser, live_server, article) -> int:
    reader = _reader(browser, live_server)
    status = reader.page.goto(live_server.url + article.get_absolute_url()).status
    reader.page.context.close()
    return status


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "#2a7a2a").save(buffer, "PNG")
    return buffer.getvalue()
