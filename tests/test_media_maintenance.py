"""Media that cannot go missing: srcsets list only renditions that exist, a failed rendition
is reported and repaired by `repair_media`, concurrent writers of the same bytes keep one
complete copy, and only `cleanup_media --delete` removes files, the unreferenced ones."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

import articles.renditions as renditions_module
from articles.images import check_image, store_image
from articles.models import Article
from articles.renditions import RenditionReport, forget_renditions, renditions_for
from tests.factories import jpeg_bytes, make_article

pytestmark = pytest.mark.django_db

_CANDIDATE = re.compile(r"""srcset="([^"]*)\"""")


@pytest.fixture(autouse=True)
def _fresh_rendition_memory():
    forget_renditions()
    yield
    forget_renditions()


def srcset_names(html: str) -> list[str]:
    """Storage names of every srcset candidate in `html` (our storage serves under /media/)."""
    names = []
    for srcset in _CANDIDATE.findall(html):
        for candidate in srcset.split(","):
            url = candidate.strip().split(" ")[0]
            assert url.startswith("/media/"), url
            names.append(url.removeprefix("/media/"))
    return names


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_at(width: int):
    real = renditions_module.encode_rendition

    def encode(image, rendition):
        if rendition.width == width:
            raise OSError(f"no space left on device (injected, {rendition.name})")
        return real(image, rendition)

    return encode


def test_a_failed_rendition_is_reported_left_out_of_srcset_and_repaired(monkeypatch, caplog):
    monkeypatch.setattr(renditions_module, "encode_rendition", failing_at(960))
    checked = check_image(jpeg_bytes(1200, 600))
    report = RenditionReport()
    name = store_image(checked, report=report)
    failed = [failed_name for failed_name, _reason in report.failed]
    assert failed == [f"renditions/{name[:-4]}-960w.webp", f"renditions/{name[:-4]}-960w.jpg"]
    assert "no space left on device" in caplog.text and "repair_media" in caplog.text

    url = default_storage.url(name)
    article = make_article("Hiányzó változat", body=f"![kép]({url})")
    listed = srcset_names(article.body_html)
    assert listed, article.body_html
    # Every candidate a browser may pick exists; the failed widths are not offered.
    for listed_name in listed:
        assert default_storage.exists(listed_name), listed_name
    assert not any("-960w." in n for n in listed)
    assert any("-480w.webp" in n for n in listed)

    # The editorial checks (and check_articles) remind the editor, naming the image and the fix.
    from articles.checks import check_article

    warnings = [f.message for f in check_article(article) if f.code == "missing_renditions"]
    assert len(warnings) == 1 and url in warnings[0] and "repair_media" in warnings[0]

    monkeypatch.undo()
    out, _err = run("repair_media", "--dry-run")
    assert f"missing  {name}" in out and "-960w.webp" in out and "2 renditions missing" in out
    assert not default_storage.exists(f"renditions/{name[:-4]}-960w.webp")  # dry run

    out, _err = run("repair_media")
    assert f"repaired  {name}: 2 renditions" in out
    article.refresh_from_db()
    listed = srcset_names(article.body_html)
    assert f"renditions/{name[:-4]}-960w.webp" in listed
    assert f"renditions/{name[:-4]}-960w.jpg" in listed
    for listed_name in listed:
        assert default_storage.exists(listed_name), listed_name
    out, _err = run("repair_media")
    assert "0 renditions recreated, 0 failed" in out
    assert [f for f in check_article(article) if f.code == "missing_renditions"] == []


def test_repair_fails_loudly_when_a_rendition_still_cannot_be_made(monkeypatch):
    name = store_image(check_image(jpeg_bytes(700, 400)))
    make_article("Javítandó", body=f"![kép]({default_storage.url(name)})")
    default_storage.delete(f"renditions/{name[:-4]}-480w.webp")
    forget_renditions()
    monkeypatch.setattr(renditions_module, "encode_rendition", failing_at(480))
    with pytest.raises(CommandError, match="1 renditions could not be made"):
        run("repair_media")


def test_the_cover_lists_only_renditions_that_exist(client, monkeypatch):
    monkeypatch.setattr(renditions_module, "encode_rendition", failing_at(480))
    article = make_article("Borítós", cover=jpeg_bytes(1000, 500))
    html = client.get(article.get_absolute_url()).content.decode()
    listed = srcset_names(html)
    assert listed and not any("-480w." in n for n in listed)
    for listed_name in listed:
        assert default_storage.exists(listed_name), listed_name
    monkeypatch.undo()
    run("repair_media")
    html = client.get(article.get_absolute_url()).content.decode()
    assert any("-480w.webp" in n for n in srcset_names(html))


def test_concurrent_writers_of_the_same_bytes_keep_one_complete_copy():
    """Four writers store the same image at once; one of them then fails and rolls back.
    The file and all its renditions stay, exactly once, for the article that uses them."""
    checked = check_image(jpeg_bytes(1700, 900))
    barrier = threading.Barrier(4)
    names: list[str] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            barrier.wait()
            names.append(store_image(checked))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(names)) == 1
    name = names[0]
    with pytest.raises(RuntimeError), transaction.atomic():  # the writer that fails
        store_image(checked)
        raise RuntimeError("this file's import failed")
    article = make_article("Közös kép", body=f"![kép]({default_storage.url(name)})")

    root = Path(default_storage.location)
    originals = sorted(p.name for p in (root / "images").iterdir())
    assert originals == [name.removeprefix("images/")]  # no stray copies under other names
    made = sorted(p.name for p in (root / "renditions" / "images").iterdir())
    assert made == sorted(r.name.rsplit("/", 1)[1] for r in renditions_for(name, 1700))
    for listed_name in srcset_names(article.body_html):
        assert default_storage.exists(listed_name)
    assert default_storage.open(name).read() == checked.data


def _age(name: str, hours: float) -> None:
    path = default_storage.path(name)
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


def test_cleanup_is_a_dry_run_first_and_deletes_only_unreferenced_files():
    used = store_image(check_image(jpeg_bytes(600, 300)))
    cover = check_image(jpeg_bytes(500, 500, color="#00c800"))
    make_article("Használt", body=f"![kép]({default_storage.url(used)})", cover=cover.data)
    in_history = store_image(check_image(jpeg_bytes(520, 300, color="#090909")))
    orphan = store_image(check_image(jpeg_bytes(640, 300, color="#c80000")))
    fresh = store_image(check_image(jpeg_bytes(650, 300, color="#0000c8")))
    # An old revision of an article still shows `in_history`: reverting must not break it.
    import reversion

    article = Article.objects.get(slug="hasznalt")
    with reversion.create_revision():
        article.body = f"![régi]({default_storage.url(in_history)})"
        article.save()
    article.body = f"![kép]({default_storage.url(used)})"
    article.save()

    widths = {used: 600, cover.storage_name: 500, in_history: 520, orphan: 640, fresh: 650}
    everything = [
        n
        for original, width in widths.items()
        for n in [original, *(r.name for r in renditions_for(original, width))]
    ]
    for name in everything:
        assert default_storage.exists(name), name
        _age(name, 48)
    for name in [fresh, *(r.name for r in renditions_for(fresh, 650))]:
        _age(name, 1)  # an import in progress may be about to use it

    orphan_files = [orphan, *(r.name for r in renditions_for(orphan, 640))]
    out, _err = run("cleanup_media")
    for name in orphan_files:
        assert f"would delete  {name}" in out
    assert f"{len(orphan_files)} unreferenced files" in out and "--delete" in out
    assert all(default_storage.exists(n) for n in everything)  # a dry run deletes nothing

    out, _err = run("cleanup_media", "--delete")
    assert f"{len(orphan_files)} unreferenced files" in out and "deleted" in out
    for name in orphan_files:
        assert not default_storage.exists(name), name
    for name in everything:
        if name not in orphan_files:
            assert default_storage.exists(name), name
    out, _err = run("cleanup_media", "--delete", "--older-than", "0")
    assert not default_storage.exists(fresh)  # with no margin, the fresh orphan goes too
    assert default_storage.exists(used) and default_storage.exists(in_history)


def test_repair_covers_uploaded_in_the_admin_too(django_capture_on_commit_callbacks, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setattr(renditions_module, "encode_rendition", failing_at(480))
    article = Article(title="Feltöltött", slug="feltoltott", released=True)
    with django_capture_on_commit_callbacks(execute=True):
        article.image = SimpleUploadedFile("b.jpg", jpeg_bytes(800, 400), "image/jpeg")
        article.save()
    name = article.image.name
    assert name.startswith("covers/")
    assert not default_storage.exists(f"renditions/{name[:-4]}-480w.webp")
    monkeypatch.undo()
    out, _err = run("repair_media")
    assert f"repaired  {name}: 2 renditions" in out
    assert default_storage.exists(f"renditions/{name[:-4]}-480w.webp")
