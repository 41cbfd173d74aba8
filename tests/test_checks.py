"""Editorial checks: what they find on the magazine's seed and on small, targeted articles."""

from __future__ import annotations

import io
from datetime import timedelta

import frontmatter
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image

from articles.checks import check_article, check_articles
from articles.models import Article, Author, Byline

pytestmark = pytest.mark.django_db


def make(slug: str = "cikk", body: str = "Szöveg.", **fields) -> Article:
    """An article with what release needs (an author, a cover with alt text) unless overridden."""
    fields.setdefault("title", slug.replace("-", " ").title())
    fields.setdefault("description", f"Egyedi leírás a(z) {slug} cikkhez.")
    if "image" not in fields and "image_source" not in fields:
        fields["image"] = ContentFile(_png(), name=f"{slug}.png")
    fields.setdefault("image_alt", "Zöld négyzet")
    article = Article.objects.create(slug=slug, body=body, **fields)
    author = Author.objects.get_or_create(name="Próba Péter", slug="proba-peter")[0]
    Byline.objects.create(article=article, author=author)
    return article


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, "PNG")
    return buffer.getvalue()


def codes(article: Article) -> list[str]:
    return [finding.code for finding in check_article(article)]


def levels(article: Article) -> dict[str, str]:
    return {finding.code: finding.level for finding in check_article(article)}


@pytest.fixture
def seed_article(seed_text) -> Article:
    post = frontmatter.loads(seed_text)
    return Article.objects.create(
        title=post["title"],
        slug="megeri-nvidiaba-fektetni",
        description=post["description"],
        body=post.content,
        image_source="/Befalapok2/otp.jpg",
    )


def test_seed_findings(seed_article):
    findings = check_article(seed_article)
    by_code: dict[str, list[str]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding.message)
    assert any("TODO kell kép is" in m for m in by_code["todo"])
    assert any("A Verseny Hatása az Innovációra" in m for m in by_code["empty_section"])
    assert any("/Befalapok2/otp.jpg" in m for m in by_code["missing_cover"])
    assert any("/NVIDIA/nvda.png" in m for m in by_code["missing_image"])
    assert "description_long" in by_code  # 172 characters
    # "## a jövő" is followed by "### Tesztidős Számítások": a subsection, not an empty one.
    assert not any("a jövő" in m for m in by_code["empty_section"])
    # The seed's math is balanced.
    assert not [code for code in by_code if code.startswith("math_")]
    # Only what the renderer really gets wrong is reported: "## Gyártási Kihozatal…" right after
    # </div> renders as a heading, so the seed has exactly these codes and no more.
    assert set(by_code) == {
        "todo",
        "empty_section",
        "missing_cover",
        "missing_image",
        "description_long",
        "heading_h1",
        # What release needs and the seed (as stored here) lacks: a byline and cover alt text.
        "author_missing",
        "cover_alt",
    }
    levels = {f.code: f.level for f in findings}
    assert levels["todo"] == levels["missing_cover"] == levels["missing_image"] == "error"
    assert levels["empty_section"] == "warning"


def test_check_articles_command_on_seed_exits_1(seed_article):
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("check_articles", stdout=out)
    assert excinfo.value.returncode == 1
    printed = out.getvalue()
    assert "megeri-nvidiaba-fektetni" in printed
    assert "TODO kell kép is" in printed
    assert "A Verseny Hatása az Innovációra" in printed
    assert "/Befalapok2/otp.jpg" in printed
    assert "/NVIDIA/nvda.png" in printed


def test_command_exits_0_without_errors_and_filters_by_slug():
    make("jo-cikk", body="## Bevezető\n\nSzöveg.\n")
    make("rossz-cikk", body="TODO: megírni")
    out = io.StringIO()
    call_command("check_articles", "--slug", "jo-cikk", stdout=out)
    assert "1 article(s) checked: 0 error(s)" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("check_articles", "--slug", "rossz-cikk", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no article"):
        call_command("check_articles", "--slug", "nincs-ilyen", stdout=io.StringIO())


def test_clean_article_has_no_findings():
    article = make(
        "tiszta",
        body="## Első\n\nSzöveg $$a^2 + b^2$$.\n\n### Al\n\nMég.\n\n## Második\n\nVége.\n",
    )
    assert check_article(article) == []


def test_todo_in_code_is_ignored_and_in_comment_is_a_warning():
    article = make("kod", body="Szöveg.\n\n```\n# TODO a kódban\n```\n\n`FIXME` inline\n")
    assert "todo" not in codes(article)
    commented = make("megj", body="Szöveg.\n\n<!-- TODO: ábra -->\n")
    assert levels(commented)["todo_comment"] == "warning"
    assert "todo" not in codes(commented)


def test_empty_sections_and_heading_skips():
    article = make(
        "szakaszok",
        body="## Üres\n\n## Teli\n\nSzöveg.\n\n#### Ugrás\n\nSzöveg.\n\n## Utolsó üres\n",
    )
    messages = [f.message for f in check_article(article)]
    assert any("Üres" in m for m in messages if "Üres szakasz" in m)
    assert sum("Üres szakasz" in m for m in messages) == 2  # "Üres" and "Utolsó üres"
    assert "heading_skip" in codes(article)


def test_broken_math_is_an_error():
    for body in [
        "Képlet: $$\\frac{a}{b$$",
        "Képlet: $$\\left( x$$",
        "Lezáratlan $$ x + 1",
        "Lezáratlan display:\n\n$$\n\\frac{a}{b}\n",
        "$$\\begin{matrix} a$$",
    ]:
        found = levels(make(f"m{abs(hash(body))}", body=body))
        assert any(code.startswith("math_") for code in found), body
        assert all(found[c] == "error" for c in found if c.startswith("math_"))


def test_removed_html_is_reported():
    article = make("html", body='Szia <script>alert(1)</script> <span onclick="x">a</span>')
    findings = [f for f in check_article(article) if f.code == "html_removed"]
    assert findings and findings[0].level == "error"
    assert "script" in findings[0].message


@pytest.mark.parametrize(
    "declaration",
    ['<![><img src="]><img src=x onerror=alert(1)//">', "<![if x]>", "<![CDATA[x", "<!x y", "<!-"],
)
def test_malformed_declarations_do_not_crash_the_checks(declaration):
    """`<![>` (an HTML5 Security Cheatsheet payload), `<![if x]>` and friends open no element:
    the renderer shows them as text, so the image after them is one a reader gets, and the
    checks (which read the renderer's report) name it."""
    body = f'<img src="/x/elotte.png" alt="a">\n\n{declaration}\n\n<img src="/x/utana.png">'
    article = make("deklaracio", body=body)
    findings = check_article(article)
    missing = " ".join(f.message for f in findings if f.code == "missing_image")
    assert "elotte.png" in missing
    assert "utana.png" in missing
    assert check_articles([article])[article.pk] == findings


def test_images_alt_and_local_media():
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "PNG")
    default_storage.save("images/van.png", ContentFile(buffer.getvalue()))
    article = make(
        "kepek",
        body=(
            "![leírás](/media/images/van.png)\n\n![](/media/images/nincs.png)\n\n"
            '<img src="https://example.org/k.png" alt="külső">\n\n<img src="/x/y.png">'
        ),
    )
    messages = {f.message: f.code for f in check_article(article)}
    missing = [m for m, c in messages.items() if c == "missing_image"]
    assert any("nincs.png" in m for m in missing)
    assert any("/x/y.png" in m for m in missing)
    assert not any("van.png" in m for m in missing)
    assert not any("example.org" in m for m in missing)
    no_alt = [m for m, c in messages.items() if c == "image_alt"]
    assert len(no_alt) == 2
    external = [m for m, c in messages.items() if c == "external_image"]
    assert len(external) == 1 and "https://example.org/k.png" in external[0]


@pytest.mark.parametrize(
    ("src", "foreign"),
    [
        ("https://example.org/k.png", True),
        ("http://example.org/k.png", True),
        ("//cdn.example.org/k.png", True),
        ("https://example.org/media/images/k.png", True),  # our path on another site
        ("/media/images/k.png", False),
        ("data:image/png;base64,iVBORw0KGgo=", False),
    ],
)
def test_external_images_are_errors_because_the_csp_blocks_them(src, foreign):
    article = make("kulso", body=f'<img src="{src}" alt="kép">')
    findings = [f for f in check_article(article) if f.code == "external_image"]
    assert bool(findings) is foreign
    assert all(f.is_error for f in findings)


def _s3(settings, **env: str) -> None:
    """The media storage exactly as the documented S3 variables configure it (MEDIA_URL stays
    what settings.py makes it: `/media/`)."""
    pytest.importorskip("storages", reason="the optional s3 extra is not installed")
    from config.environment import media_storage_from_env

    settings.STORAGES = {**settings.STORAGES, "default": media_storage_from_env(env)}
    assert settings.MEDIA_URL == "/media/"


S3_SETUPS = {
    "custom domain": (
        {"CIKK_S3_BUCKET": "cikk-media", "CIKK_S3_CUSTOM_DOMAIN": "kep.cikk.example.hu"},
        "https://kep.cikk.example.hu/",
    ),
    "aws bucket": ({"CIKK_S3_BUCKET": "cikk-media"}, "https://cikk-media.s3.amazonaws.com/"),
    "region, path style and prefix": (
        {
            "CIKK_S3_BUCKET": "cikk-media",
            "CIKK_S3_REGION": "eu-central-1",
            "CIKK_S3_ADDRESSING_STYLE": "path",
            "CIKK_S3_PREFIX": "media",
        },
        "https://s3.eu-central-1.amazonaws.com/cikk-media/media/",
    ),
}


@pytest.mark.parametrize("setup", S3_SETUPS)
def test_our_own_images_on_s3_are_never_external(settings, monkeypatch, setup):
    """With the documented S3 settings, the checks and the body-image code agree on what is
    ours (articles.images.own_media_name), and a foreign image is still an error. (moto's
    in-process mock answers the storage's existence checks; tests/test_s3.py runs a server.)"""
    moto = pytest.importorskip("moto", reason="moto (dev extra) is not installed")
    import boto3

    env, base = S3_SETUPS[setup]
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    mock = moto.mock_aws()
    mock.start()
    try:
        region = env.get("CIKK_S3_REGION", "us-east-1")
        bucket = boto3.client("s3", region_name=region)
        location = {} if region == "us-east-1" else {"LocationConstraint": region}
        bucket.create_bucket(Bucket=env["CIKK_S3_BUCKET"], CreateBucketConfiguration=location)
        _check_own_image_on_s3(settings, env, base)
    finally:
        mock.stop()


def _check_own_image_on_s3(settings, env: dict[str, str], base: str) -> None:
    from articles.body_images import stored_name

    _s3(settings, **env)
    name = f"images/{'a' * 32}.png"
    ours = default_storage.url(name)
    assert ours == f"{base}{name}"
    assert stored_name(ours) == name  # the body-image rewriting recognises it...
    article = make(
        "s3-kep", body=f'<img src="{ours}" alt="kép">\n\n![másik](https://example.org/k.png)'
    )
    findings = {f.code: f.message for f in check_article(article) if f.is_error}
    # ...and the checks call it ours too: not external, only missing (nothing stored there).
    assert "missing_image" in findings and ours in findings["missing_image"]
    external = [f for f in check_article(article) if f.code == "external_image"]
    assert [f.message for f in external if ours in f.message] == []
    assert len(external) == 1 and "https://example.org/k.png" in external[0].message
    # A look-alike on another host, or the bucket's path under our own site, is not ours.
    assert stored_name(ours.replace("://", "://evil.")) is None
    assert stored_name(f"/media/{name}") is None
    # Once the file is in the bucket, the same article has no image error at all, and the
    # reader's HTML gets its intrinsic size from the bucket.
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    default_storage.save(name, ContentFile(buffer.getvalue()))
    article.body = f'<img src="{ours}" alt="kép">'
    article.save()
    assert [f.code for f in check_article(article) if f.is_error] == []
    assert f'src="{ours}"' in article.body_html and 'width="40" height="30"' in article.body_html


def test_description_missing_long_and_duplicate():
    assert "description_missing" in codes(make("ures-leiras", description=""))
    assert "description_long" in codes(make("hosszu", description="a" * 161))
    original = "Folytatjuk a magyar befektetési alapok elemzését, ezúttal az OTP alapokra."
    first = make("elso", description=original)
    copy = make("masolat", description=original.upper().replace("OTP", "otp") + "!")
    near = make("kozel", description=original.replace("ezúttal", "most"))
    other = make("mas", description="Teljesen más témáról szól ez a leírás, a GPU-król.")
    result = check_articles([first, copy, near, other])
    assert "description_duplicate" in [f.code for f in result[copy.pk]]
    assert "description_duplicate" in [f.code for f in result[near.pk]]
    assert "description_duplicate" not in [f.code for f in result[other.pk]]


def test_links_to_unpublished_or_missing_articles():
    now = timezone.now()
    make("kint", released=True, date=now - timedelta(days=1))
    make("piszkozat", released=False)
    make("idozitett", released=True, date=now + timedelta(days=3))
    article = make(
        "linkelo",
        body=(
            "[jó](/cikk/kint/) [rossz](/cikk/piszkozat/) "
            '<a href="/cikk/idozitett/">időzített</a> [nincs](/cikk/nincs-ilyen/)'
        ),
    )
    found = check_article(article)
    unpublished = [f.message for f in found if f.code == "link_unpublished"]
    assert len(unpublished) == 2
    assert any("piszkozat" in m for m in unpublished)
    assert any("idozitett" in m for m in unpublished)
    assert [f.code for f in found if "nincs-ilyen" in f.message] == ["link_missing"]
    assert all(f.level == "error" for f in found if f.code.startswith("link_"))


def test_check_articles_uses_two_queries(django_assert_num_queries):
    articles = [
        Article.objects.get(pk=make(f"c{i}", body=f"[l](/cikk/c{i + 1}/)").pk) for i in range(10)
    ]
    # The bylines of all ten, and the other articles' facts (linked slugs and description
    # digests, the digests matched inside the same query from their indexes).
    with django_assert_num_queries(2):
        check_articles(articles)


def test_articles_sharing_a_description_are_read_a_bounded_number(django_assert_num_queries):
    """However many articles share a description, a check reads a bounded number of their
    rows (each row read costs; the import of a series grew quadratically)."""
    from articles.checks import EXACT_ROWS, MAX_DUPLICATE_CANDIDATES, CheckContext, description_keys

    shared = "Heti összefoglaló: a hét legfontosabb tőzsdei hírei, röviden."
    key, head, tail = description_keys(shared)
    Article.objects.bulk_create(
        Article(
            title=f"Heti {index}", slug=f"heti-{index}", description=shared,
            description_key=key, description_head=head, description_tail=tail,
        )
        for index in range(300)
    )  # fmt: skip
    new = Article(title="Új", slug="uj", description=shared)

    with django_assert_num_queries(1):
        context = CheckContext.load(descriptions=[shared])

    assert len(context.articles) == EXACT_ROWS  # the copies; none counts as a near one
    assert "description_duplicate" in [f.code for f in check_article(new, context=context)]

    # A house phrase opening 200 different descriptions: a bounded number of near candidates.
    texts = [f"Heti összefoglaló: a hét legfontosabb {i}. híre, röviden." for i in range(200)]
    Article.objects.bulk_create(
        Article(
            title=f"Más {index}", slug=f"mas-{index}", description=text,
            description_key=description_keys(text)[0],
            description_head=description_keys(text)[1],
            description_tail=description_keys(text)[2],
        )
        for index, text in enumerate(texts)
    )  # fmt: skip
    context = CheckContext.load(descriptions=[shared])
    assert len(context.articles) <= EXACT_ROWS + 2 * (EXACT_ROWS + MAX_DUPLICATE_CANDIDATES)


def test_the_description_lookup_reads_a_bounded_number_of_index_entries():
    """The bound is the database's, not a cap applied in Python to every match: each digest's
    part of the query has its own LIMIT and is an index search, so a description shared by
    hundreds returns (and reads) a fixed number of rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.checks import (
        EXACT_ROWS,
        MAX_DUPLICATE_CANDIDATES,
        CheckContext,
        description_keys,
        description_match_sql,
    )

    shared = "Heti összefoglaló: a hét legfontosabb tőzsdei hírei, röviden."
    key, head, tail = description_keys(shared)
    near = [f"Heti összefoglaló: a hét legfontosabb {i}. híre, röviden." for i in range(150)]
    Article.objects.bulk_create(
        [
            *(
                Article(title=f"H {i}", slug=f"h-{i}", description=shared, description_key=key,
                        description_head=head, description_tail=tail)
                for i in range(150)
            ),
            *(
                Article(title=f"M {i}", slug=f"m-{i}", description=text,
                        description_key=description_keys(text)[0],
                        description_head=description_keys(text)[1],
                        description_tail=description_keys(text)[2])
                for i, text in enumerate(near)
            ),
        ]
    )  # fmt: skip
    [(sql, params)] = description_match_sql([(key, head, tail)])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [row[0] for row in cursor.fetchall()]
        # 150 exact copies and 150 near ones (same first words): EXACT_ROWS of the first, the
        # near bound of the second, never all 300.
        assert len(rows) == EXACT_ROWS + EXACT_ROWS + MAX_DUPLICATE_CANDIDATES
        exact = set(Article.objects.filter(description_key=key).values_list("pk", flat=True))
        assert len(set(rows) & exact) == EXACT_ROWS
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[-1] for row in cursor.fetchall()]
            searches = [step for step in plan if step.startswith("SEARCH articles_article")]
            assert len(searches) == 5  # the whole digest, and first/last words in two columns
            assert all("USING COVERING INDEX" in step for step in searches), plan
            assert not any(step.startswith("SCAN articles_article") for step in plan), plan
            # The check's one query: linked slugs or these keys, no scan of the table either.
            with CaptureQueriesContext(connection) as queries:
                context = CheckContext.load(links=["/cikk/h-1/"], descriptions=[shared])
            linked = Article.objects.get(slug="h-1").pk
            assert {other.pk for other in context.articles} == {*rows, linked}
            cursor.execute(f"EXPLAIN QUERY PLAN {queries.captured_queries[0]['sql']}")
            plan = [row[-1] for row in cursor.fetchall()]
            assert not any(step.startswith("SCAN articles_article") for step in plan), plan


def test_a_description_shared_by_many_is_found_without_normalising_each(monkeypatch):
    """A series whose articles share one description (or an import of generated files): the
    check finds the copy by the stored digests, and normalises no other article's text."""
    import articles.checks as checks

    shared = "Heti összefoglaló: a hét legfontosabb tőzsdei hírei, röviden."
    for index in range(40):
        make(f"heti-{index}", description=shared)
    same = make("ugyanaz", description=shared.replace("röviden", "RÖVIDEN!!"))
    near = make("majdnem", description=shared.replace("röviden", "rövden"))
    other = make("mas", description="Egészen más leírás a kamatos kamatról és a hozamokról.")
    article = make("uj-heti", description=shared)
    calls = []
    real = checks.normalise_description
    monkeypatch.setattr(
        checks, "normalise_description", lambda text: calls.append(text) or real(text)
    )

    codes = [f.code for f in check_article(article)]

    assert codes.count("description_duplicate") == 1
    assert set(calls) == {shared}  # its own description only
    # Case and punctuation do not make a copy original (the same digest), and a near copy is
    # still compared by its text.
    assert "description_duplicate" in [f.code for f in check_article(same)]
    assert "description_duplicate" in [f.code for f in check_article(near)]
    assert "description_duplicate" not in [f.code for f in check_article(other)]
