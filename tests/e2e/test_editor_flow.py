"""An editor's whole day in a real Chromium, through the UI the editor uses.

Log in through the admin's login form as a member of the "Szerkesztő" group (not a superuser),
write an article with math in the Markdown editor, watch the live preview typeset it, save it as
a draft, see that an anonymous reader gets 404, release it with the checkbox, and see that the
reader now gets the page with the formulas typeset by KaTeX.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from articles.models import Article, Author
from tests.e2e.conftest import RecordingPage
from tests.e2e.test_seed_page import typeset

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


def test_editor_writes_previews_drafts_and_releases(browser, page, live_server, editor):
    Author.objects.create(name="Egri Máté", slug="egri-mate")
    admin = page.page

    # Log in through the form, as a person would.
    admin.goto(live_server.url + "/admin/articles/article/add/")
    assert "/admin/login/" in admin.url
    admin.fill("#id_username", USERNAME)
    admin.fill("#id_password", PASSWORD)
    with admin.expect_navigation():
        admin.locator("input[type=submit]").click()
    assert admin.url.endswith("/admin/articles/article/add/")

    # The article: the title fills the slug (prepopulate.js), a date a day ago in the
    # Hungarian input format the widget expects, a description.
    admin.locator("#id_title").press_sequentially(TITLE)
    assert admin.input_value("#id_slug") == SLUG
    when = timezone.localtime() - dt.timedelta(days=1)
    admin.fill("#id_date_0", when.strftime("%Y.%m.%d."))
    admin.fill("#id_date_1", when.strftime("%H:%M:%S"))
    admin.fill("#id_description", "A szerkesztő a böngészőben írta, képletekkel.")
    assert not admin.is_checked("#id_released")

    # The byline: the author is picked in the autocomplete (select2) of the inline.
    admin.locator("#bylines-0 .select2-selection").click()
    # Opening lists every author; wait for that list before typing, as a person would.
    admin.locator(".select2-results__option", has_text="Egri Máté").wait_for()
    admin.locator(".select2-container--open .select2-search__field").fill("egri")
    admin.locator(".select2-results__option.loading-results").wait_for(state="detached")
    admin.locator(".select2-results__option", has_text="Egri Máté").click()
    assert admin.input_value("#id_bylines-0-author") == str(Author.objects.get().pk)

    # The Markdown editor: paste most, type the rest; the live preview typesets the math.
    editor_box = admin.locator("textarea.markdownx-editor")
    editor_box.fill(BODY_PASTED)
    editor_box.press_sequentially(BODY_TYPED)
    preview = ".markdownx-preview"
    admin.wait_for_function(
        f"""() => {{
          const anns = document.querySelectorAll("{preview} .katex {TEX}");
          return anns.length === {len(FORMULAS)} &&
            [...anns].some(a => a.textContent.includes("e^{{i\\\\pi}}"));
        }}""",
        timeout=10_000,
    )
    assert _formulas(admin, preview) == FORMULAS
    assert admin.locator(f"{preview} .katex-error, {preview} .math-error").count() == 0
    assert admin.locator(f"{preview} strong").inner_text() == "kiemelés"

    # Saved as a draft: the editor stays on the change form.
    with admin.expect_navigation():
        admin.locator("input[name=_continue]").click()
    assert admin.locator(".messagelist .success").count() == 1
    assert admin.url.endswith("/change/")
    assert not admin.is_checked("#id_released")
    article = Article.objects.get(slug=SLUG)
    assert (article.released, article.author_list()[0].name) == (False, "Egri Máté")

    reader = _reader(browser, live_server)
    response = reader.page.goto(live_server.url + article.get_absolute_url())
    assert response.status == 404
    assert reader.page.locator(".article-body").count() == 0
    reader.page.context.close()

    # Released with the checkbox on the same form, saved again.
    admin.check("#id_released")
    with admin.expect_navigation():
        admin.locator("input[name=_continue]").click()
    assert admin.locator(".messagelist .success").count() == 1
    assert admin.locator(".errornote").count() == 0
    assert admin.is_checked("#id_released")

    reader = _reader(browser, live_server)
    response = reader.page.goto(live_server.url + article.get_absolute_url())
    assert response.status == 200
    typeset(reader)
    assert reader.page.locator("#article-title").inner_text() == TITLE
    assert reader.page.locator(".draft-banner").count() == 0
    assert _formulas(reader.page, ".article-body") == FORMULAS
    assert reader.page.locator(".article-body .katex-error, .math-error").count() == 0
    assert reader.page.locator(".article-body strong").inner_text() == "kiemelés"
    # select2 cancels its own stale look-up when the search term changes: not a failure.
    cancelled = [
        url for url in page.failed_requests if "/admin/autocomplete/" in url and "ABORTED" in url
    ]
    assert [url for url in page.failed_requests if url not in cancelled] == []
    assert reader.failed_requests == []
    for recording in (page, reader):
        assert recording.console_errors == []
        assert recording.page_errors == []
        assert recording.foreign_requests() == []
    reader.page.context.close()
