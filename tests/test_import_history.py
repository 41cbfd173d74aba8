"""Imports leave history (django-reversion): one revision per imported change, "importálva:
path", shown in the admin's history and compare screens and named by a save conflict."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from reversion.models import Version

from articles.checks import description_key
from articles.importing import CREATED, FAILED, UNCHANGED, UPDATED, import_paths, source_key
from articles.models import Article
from tests.import_helpers import article_file
from tests.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db


def versions(article: Article) -> list[Version]:
    return list(Version.objects.get_for_object(article).select_related("revision").order_by("pk"))


@pytest.fixture
def editor_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("anna", "anna@example.org", "x"))
    return client


def test_each_imported_change_is_one_revision_with_its_path(tmp_path):
    path = article_file(tmp_path, body="Első változat.\n")
    assert import_paths([path])[0].status == CREATED
    assert import_paths([path])[0].status == UNCHANGED  # no change, no revision
    path.write_text(path.read_text().replace("Első változat.", "Második változat."))
    assert import_paths([path])[0].status == UPDATED

    article = Article.objects.get()
    history = versions(article)
    assert [v.field_dict["body"] for v in history] == ["Első változat.\n", "Második változat.\n"]
    assert {v.revision.comment for v in history} == {f"importálva: {source_key(path)}"}
    assert {v.revision.user for v in history} == {None}
    assert history[-1].field_dict["version"] == article.version
    # The byline travels with the revision, so a revert restores the author too.
    assert history[0].revision.version_set.filter(content_type__model="byline").count() == 1


def test_a_dry_run_or_a_failed_file_records_no_revision(tmp_path):
    good = article_file(tmp_path, "jo.md")
    assert import_paths([good], dry_run=True)[0].status == CREATED
    bad = article_file(tmp_path, "rossz.md", title="Rossz", extra='description: "a\\u0001"')
    assert import_paths([bad])[0].status == FAILED
    assert Version.objects.count() == 0


def test_history_and_compare_show_the_import(tmp_path, editor_client):
    path = article_file(tmp_path, body="Régi mondat.\n")
    import_paths([path])
    path.write_text(path.read_text().replace("Régi mondat.", "Új mondat."))
    import_paths([path])
    article = Article.objects.get()

    history = editor_client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200
    assert f"importálva: {source_key(path)}" in history.content.decode()
    old, new = versions(article)
    compare = editor_client.get(
        reverse("admin:articles_article_compare", args=[article.pk]), {"a": old.pk, "b": new.pk}
    )
    assert compare.status_code == 200
    html = compare.content.decode()
    assert "Régi&nbsp;mondat." in html and "Új&nbsp;mondat." in html


def test_a_save_conflicting_with_an_import_names_the_import(tmp_path, editor_client):
    path = article_file(tmp_path, body="Importált szöveg.\n")
    import_paths([path])
    article = Article.objects.get()
    stale_form = form_data(article, body="Az editor szövege.")  # opened before the re-import
    path.write_text(path.read_text().replace("Importált szöveg.", "Újra importálva."))
    assert import_paths([path])[0].status == UPDATED

    response = editor_client.post(change_url(article), stale_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mentés elutasítva" in html
    assert f"egy importálás ({source_key(path)})" in html
    article.refresh_from_db()
    assert article.body == "Újra importálva.\n"


def _imported_twice(tmp_path):
    """An article imported with a formula and bold text, then changed by a second import."""
    body = "Eredeti **félkövér** szöveg, képlettel: $$x^2$$ és TODO pótolni.\n"
    path = article_file(
        tmp_path, body=body, author='"Kiss Éva"', extra='description: "Rövid leírás."'
    )
    import_paths([path])
    path.write_text(
        path.read_text()
        .replace(body, "Új szöveg, képlet nélkül.\n")
        .replace('"Kiss Éva"', '"Nagy Ádám"')
    )
    assert import_paths([path])[0].status == UPDATED
    return Article.objects.get(), body


def test_a_revision_keeps_what_authors_write_not_what_save_derives(tmp_path):
    article, body = _imported_twice(tmp_path)
    first = versions(article)[0]
    assert first.field_dict["body"] == body
    assert first.field_dict["title"] == "Próba cikk"
    for name in Article.NOT_IN_REVISIONS:
        assert name not in first.field_dict
        assert f'"{name}"' not in first.serialized_data
    assert "katex" not in first.serialized_data  # the typeset HTML is not stored in revisions
    # Each revision keeps the byline of its own import, named by its author.
    bylines = [
        [v.object_repr for v in version.revision.version_set.filter(content_type__model="byline")]
        for version in versions(article)
    ]
    assert bylines == [["Kiss Éva (0)"], ["Nagy Ádám (0)"]]


def test_reverting_an_import_restores_the_text_and_derives_the_rest(tmp_path):
    article, body = _imported_twice(tmp_path)
    versions(article)[0].revision.revert(delete=True)  # what the admin's revert runs first

    article.refresh_from_db()
    assert article.body == body
    assert "<strong>félkövér</strong>" in article.body_html
    assert 'class="katex"' in article.body_html  # typeset again, not left empty
    assert "Eredeti félkövér szöveg, képlettel: x^2" in article.plain_text
    assert "eredeti felkover szoveg" in article.search_text
    assert "Új szöveg" not in article.plain_text + article.search_text
    assert article.word_count > 0
    assert article.render_report["source_sha256"] == hashlib.sha256(body.encode()).hexdigest()
    # The findings are those of the restored text and byline (the TODO is an error again).
    assert article.finding_errors and any(f["code"] == "todo" for f in article.findings)
    assert [a.name for a in article.author_list()] == ["Kiss Éva"]
    assert article.description_key == description_key("Rövid leírás.")  # its index key too
    # What a reader's search finds: the full-text index follows plain_text (trigger).
    assert Article.objects.filter(plain_text__contains="félkövér").count() == 1


def test_a_revert_to_a_text_the_renderer_now_refuses_restores_it_without_html(
    tmp_path, monkeypatch
):
    """Rendered under the admin's limits: a refused text is restored (nothing is lost), with
    empty HTML, and the revert raises nothing (its form then says why the text is refused)."""
    import articles.signals
    from articles.render_limits import RenderRefused

    article, body = _imported_twice(tmp_path)

    def refuse(text: str, timeout: float | None = None):
        raise RenderRefused("brackets", 1, "test")

    monkeypatch.setattr(articles.signals, "render_bounded", refuse)
    versions(article)[0].revision.revert(delete=True)

    article.refresh_from_db()
    assert article.body == body
    assert article.body_html == "" and article.render_report == {}


def _reversion_serialised(objects) -> dict[tuple[str, str], tuple[dict, str]]:
    """What reversion's own API records for `objects` (the admin's path); removed again."""
    import reversion
    from django.db import transaction
    from reversion.models import Revision

    recorded: dict[tuple[str, str], tuple[dict, str]] = {}
    with transaction.atomic(), reversion.create_revision():
        for obj in objects:
            reversion.add_to_revision(obj)
        reversion.set_comment("reference")

    revision = Revision.objects.get(comment="reference")
    for version in revision.version_set.all():
        key = (version.content_type.model, version.object_id)
        recorded[key] = (json.loads(version.serialized_data), version.object_repr)
    revision.delete()
    return recorded


def test_an_import_revision_is_what_reversion_itself_records(tmp_path):
    """The importer writes its revision rows itself (articles.history, no read-back): they
    must be the very rows reversion's add_to_revision() makes of the same objects (fields,
    tags in reversion's order, bylines followed, reprs, format), first import and update."""
    path = article_file(
        tmp_path,
        author='["Kiss Éva", "Nagy Ádám"]',
        extra='tags: ["Zeta", "alfa", "Béta"]\ndescription: "Leírás."\nkulcs: érték',
    )
    for change in ("", "Második változat.\n"):
        if change:
            path.write_text(path.read_text() + change)
        import_paths([path])
        article = Article.objects.get()
        imported = versions(article)[-1].revision
        mine = {
            (v.content_type.model, v.object_id): (json.loads(v.serialized_data), v.object_repr)
            for v in imported.version_set.all()
        }
        assert {v.format for v in imported.version_set.all()} == {"json"}
        assert {v.db for v in imported.version_set.all()} == {"default"}
        reference = _reversion_serialised([article])
        # The same instants: the importer's in-memory dates keep the file's offset (+02:00),
        # those read back are in UTC; reversion serialises whichever object it is given.
        for fields in (mine, reference):
            for name in ("date", "content_changed_at"):
                value = fields[("article", str(article.pk))][0][0]["fields"][name]
                fields[("article", str(article.pk))][0][0]["fields"][name] = parse_datetime(value)
        assert mine == reference
        assert len(mine) == 3  # the article and its two bylines
        tags = mine[("article", str(article.pk))][0][0]["fields"]["tags"]
        assert len(tags) == 3
