"""The renderer on the magazine's real article (golden tests) and on the structures it must get
right: house blocks, tables, comments, headings, lists, images, links, code, footnotes."""

from __future__ import annotations

import threading
from html import unescape

import frontmatter
import pytest

from articles.render import Heading, Rendered, markdownify, render
from tests.html_tree import Node, parse
from tests.math_view import formulas, tex_view

SEED_INLINE_TEX = [
    r"\mathbb{R}^n",
    r" f: \mathbb{R}^n \rightarrow \mathbb{R} ",
    r" \varepsilon > 0 ",
    r" \hat{f} ",
    r" K \subset \mathbb{R}^n ",
    " L ",
    " N ",
    " D ",
    " C ",
    r" a, b, c, d, \alpha, \beta, \gamma > 0 ",
]
SEED_DISPLAY_TEX = [
    "\n" + r"\sup_{x \in K} \left| f(x) - \hat{f}(x) \right| < \varepsilon," + "\n",
    "\n" + r"L(N, D, C) = a N^{-\alpha} + b D^{-\beta} + c C^{-\gamma} + d," + "\n",
]
COMMENTED_OUT = [
    "AlphaGo",
    "Emberfeletti teljesítmény a Go játékban",
    "Kulcsfontosságú megállapítások",
    "Célunk, hogy az olvasó",
    "A Transzformerek",
    "A mélytanulás világa az évek során",
    "erőforrás-hatékonyabb legyen",
]


@pytest.fixture
def seed_body(seed_text: str) -> str:
    return frontmatter.loads(seed_text).content


@pytest.fixture
def seed(seed_body: str) -> Rendered:
    return render(seed_body)


@pytest.fixture
def seed_tree(seed: Rendered) -> Node:
    return parse(seed.html)


# --- Golden tests on the seed -------------------------------------------------------------


def test_seed_inline_math_is_the_source_tex_byte_for_byte(seed, seed_tree, seed_body):
    spans = seed_tree.find_all("span", "math-inline")
    assert [s.tag for s in spans] == ["span"] * 10
    assert seed.math_inline == 10
    inline = [tex for kind, tex, _ in formulas(seed.html) if kind == "inline"]
    assert inline == SEED_INLINE_TEX  # KaTeX's annotation holds the TeX it typeset
    assert [f.tex for f in seed.formulas if not f.display] == SEED_INLINE_TEX
    assert not any(f.error for f in seed.formulas)
    for tex in SEED_INLINE_TEX:
        assert f"$${tex}$$" in seed_body  # the expectation really is the source text


def test_seed_display_math_is_the_source_tex_byte_for_byte(seed, seed_tree, seed_body):
    blocks = seed_tree.find_all("div", "math-display")
    assert len(blocks) == seed.math_display == 2
    display = [tex for kind, tex, _ in formulas(seed.html) if kind == "display"]
    assert display == SEED_DISPLAY_TEX
    for tex in SEED_DISPLAY_TEX:
        assert f"$${tex}$$" in seed_body
    # The first one follows "amelyre:" with no blank line; it is a block, not inside a <p>.
    for paragraph in seed_tree.find_all("p"):
        assert not paragraph.find_all("div")
    assert 'amelyre:</p>\n<div class="math math-display">' in seed.html


def test_seed_math_is_escaped_for_html_only(seed):
    assert r'"application/x-tex"> \varepsilon &gt; 0 </annotation>' in seed.html
    assert r"\right| &lt; \varepsilon," in seed.html
    assert "<em>" not in seed.html  # the `_` of \sup_{x} and N^{-\alpha} made no emphasis


def test_seed_has_two_custom_tables_with_8_and_17_body_rows(seed_tree):
    containers = seed_tree.find_all("div", "table-container")
    assert len(containers) == 2
    tables = [container.find("table") for container in containers]
    assert all("custom-table" in table.classes for table in tables)
    body_rows = [len(table.find("tbody").find_all("tr")) for table in tables]
    assert body_rows == [8, 17]
    assert [len(t.find("thead").find_all("th")) for t in tables] == [4, 3]


def test_seed_commented_out_text_never_reaches_the_output(seed):
    for text in COMMENTED_OUT:
        assert text not in seed.html
    assert "<!--" not in seed.html and "-->" not in seed.html
    # The text around the comments is still there.
    assert "DeepStack" in seed.html and "Generative Adversarial Networks" in seed.html
    assert "energiafogyasztás kihívásait." in seed.html


def test_seed_heading_right_after_closing_div_is_a_heading(seed_tree):
    h2 = [h for h in seed_tree.find_all("h2") if h.text().startswith("Gyártási Kihozatal")]
    assert len(h2) == 1
    assert (
        h2[0].attrs["id"]
        == "gyartasi-kihozatal-es-tobbchip-modulok-a-kovetkezo-blackwell-generacioban"
    )
    assert "## Gyártási" not in h2[0].text()


def test_seed_list_after_a_paragraph_line_is_a_three_item_list(seed_tree):
    paragraph = next(p for p in seed_tree.find_all("p") if "Mik a bemeneteink?" in p.text())
    assert "Modellméret" not in paragraph.text()
    lists = [ul for ul in seed_tree.find_all("ul") if "Modellméret" in ul.text()]
    assert len(lists) == 1
    items = lists[0].find_all("li")
    assert [li.find("strong").text() for li in items] == [
        "Modellméret:",
        "Adatmennyiség:",
        "Számítási kapacitás:",
    ]


def test_seed_heading_ids_are_accent_folded_and_unique(seed, seed_tree):
    ids = [h.attrs.get("id") for h in seed_tree.iter() if h.tag in ("h1", "h2", "h3", "h4")]
    ids = [i for i in ids if i]  # the house blocks' raw <h2>s carry none
    assert len(ids) == len(set(ids))
    assert "gyartasi-kihozatal-yield" in ids
    assert "hogy-jutottunk-idaig" in ids
    assert "a-cuda-es-a-melytanulas-rejtett-infrastrukturaja" in ids
    assert all(i.isascii() for i in ids)
    assert seed.headings[0] == Heading(2, "hogy-jutottunk-idaig", "Hogy jutottunk idáig?")
    assert Heading(3, "gyartasi-kihozatal-yield", "Gyártási Kihozatal (Yield)") in seed.headings
    assert [h.id for h in seed.headings] == ids


def test_seed_house_blocks_pass_intact(seed_tree):
    boxes = seed_tree.find_all("div", "custom-text-box")
    assert len(boxes) == 5
    for box in boxes:
        assert [child.tag for child in box.elements()] == ["h2", "p"]
    image_box = seed_tree.find("div", "responsive-image-square")
    assert image_box.attrs["style"] == "width:100%"
    img = image_box.find("img")
    assert img.attrs["src"] == "/NVIDIA/nvda.png"
    assert img.attrs["alt"] == "Cickók"
    assert img.attrs["loading"] == "lazy" and img.attrs["decoding"] == "async"


def test_seed_report(seed):
    assert seed.images == ["/NVIDIA/nvda.png"]
    assert seed.removed == []
    assert seed.warnings == []
    assert 1800 < seed.word_count < 2300
    assert seed.reading_minutes == -(-seed.word_count // 200)


# --- Structure ------------------------------------------------------------------------------


def test_markdown_table_gets_the_house_wrapper_and_class():
    html = render("| Év | Cég |\n|---|:-:|\n| 2024 | NVIDIA |\n").html
    assert html.startswith('<div class="table-container"><table class="custom-table">')
    cell = parse(html).find("td", None)
    assert cell.text() == "2024"
    assert 'style="text-align:center"' in html  # alignment survives the CSS sanitizer


def test_table_inside_a_list_item_is_wrapped_too():
    html = render("- elem\n\n    | a | b |\n    |---|---|\n    | 1 | 2 |\n").html
    container = parse(html).find("li").find("div", "table-container")
    assert "custom-table" in container.find("table").classes


def test_inline_comment_is_removed_and_the_sentence_joined():
    assert render("Látható <!-- rejtett --> szöveg.").html == "<p>Látható  szöveg.</p>"


def test_comment_hiding_a_raw_table_row_is_removed():
    source = (
        '<div class="table-container">\n<table class="custom-table">\n<tbody>\n'
        "<tr><td>A</td></tr>\n  <!-- <tr>\n<td>Titok</td>\n</tr> -->\n<tr><td>B</td></tr>\n"
        "</tbody>\n</table>\n</div>\n"
    )
    tree = parse(render(source).html)
    assert [td.text() for td in tree.find_all("td")] == ["A", "B"]
    assert "Titok" not in render(source).html


def test_comment_spanning_paragraphs_is_removed():
    html = render("Eleje.\n\n<!-- Piszkozat.\n\nMásodik bekezdés.\n\n-->\n\nVége.").html
    assert html == "<p>Eleje.</p>\n<p>Vége.</p>"


def test_unclosed_comment_hides_the_rest_and_warns():
    rendered = render("Látható.\n\n<!-- soha nem zárul\n\nRejtett.")
    assert "Rejtett" not in rendered.html and "Látható." in rendered.html
    assert any("HTML-megjegyzés" in w for w in rendered.warnings)


def test_comment_inside_code_stays_code():
    html = render("`<!-- x -->` és\n\n```\n<!-- y -->\n```\n").html
    assert "<code>&lt;!-- x --&gt;</code>" in html
    assert "&lt;!-- y --&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "Mik a bemeneteink?\n - egy\n - kettő\n - három",
        "Mik a bemeneteink?\n* egy\n* kettő\n* három",
        "Lépések:\n1. egy\n2. kettő\n3. három",
    ],
)
def test_list_may_interrupt_a_paragraph(source):
    tree = parse(render(source).html)
    assert tree.find("p").text().strip().endswith("?") or tree.find("p").text() == "Lépések:"
    items = tree.find_all("li")
    assert [li.text() for li in items] == ["egy", "kettő", "három"]


@pytest.mark.parametrize(
    "source",
    [
        "A tárgyalás ideje\n2012. december",
        "A felsorolás folytatódik\n3. pontban",
        "2012. december 24-én zárt a tőzsde.",
    ],
)
def test_numbered_line_that_is_not_a_list_start_stays_text(source):
    html = render(source).html
    assert "<ol" not in html and "<li" not in html
    assert html.startswith("<p>") and source.splitlines()[-1] in html


def test_list_items_keep_their_continuation_lines():
    html = render("- egy\n  folytatás\n- kettő\n").html
    assert html == "<ul>\n<li>egy\n  folytatás</li>\n<li>kettő</li>\n</ul>"


def test_heading_after_closing_div_without_blank_line():
    html = render(
        '<div class="custom-text-box">\n<h2>Doboz</h2>\n<p>x</p>\n</div>\n## Utána\n'
    ).html
    assert '<h2 id="utana">Utána</h2>' in html


def test_heading_ids_are_unique_and_folded():
    rendered = render("## Árfolyam és hozam\n\n## Árfolyam és hozam\n\n## !!!\n")
    assert [h.id for h in rendered.headings] == [
        "arfolyam-es-hozam",
        "arfolyam-es-hozam_1",
        "szakasz",
    ]


def test_heading_ids_and_names_with_markup_inside():
    """Headings with markup, entities, escapes, footnote marks and author ids: the id is the
    folded text, the listed name the visible text (footnote mark and tags left out)."""
    rendered = render(
        "## A **vastag** és `kód` <span>rész</span>\n\n"
        "## Ár & hozam \\* 2\n\n"
        "## Állítás[^1]\n\n"
        "## Saját {: #sajat }\n\n"
        "## Saját\n\n"
        "### Címke {: data-toc-label='Rövid' }\n\n"
        "[^1]: Forrás.\n"
    )
    assert [(h.level, h.id, h.text) for h in rendered.headings] == [
        (2, "a-vastag-es-kod-resz", "A vastag és kód rész"),
        (2, "ar-hozam-2", "Ár & hozam * 2"),
        (2, "allitas", "Állítás"),
        (2, "sajat", "Saját"),
        (2, "sajat_1", "Saját"),
        (3, "cimke", "Rövid"),
    ]
    html = rendered.html
    assert '<h2 id="a-vastag-es-kod-resz">A <strong>vastag</strong> és <code>kód</code>' in html
    assert '<h3 id="cimke">Címke</h3>' in html  # the label is not an attribute of the page


def test_heading_ids_do_not_repeat_an_id_already_in_the_text():
    rendered = render("## Első {: #bevezeto }\n\n## Bevezető\n\n## Bevezető\n")
    assert [h.id for h in rendered.headings] == ["bevezeto", "bevezeto_1", "bevezeto_2"]
    assert '<h2 id="bevezeto_1">Bevezető</h2>' in rendered.html


def test_empty_sections_are_noted_by_level():
    rendered = render("# Cím\n\n## Üres\n\n## Teli\n\nSzöveg.\n\n### Vége\n")
    assert [(h.id, h.empty) for h in rendered.headings] == [
        ("cim", False),
        ("ures", True),
        ("teli", False),
        ("vege", True),
    ]


def test_toc_marker_is_ordinary_text():
    """Cikk makes its own table of contents on the reader page; `[TOC]` is not a marker."""
    rendered = render("[TOC]\n\n## Első\n")
    assert rendered.html == '<p>[TOC]</p>\n<h2 id="elso">Első</h2>'


def test_markdown_inside_raw_html_is_not_rendered():
    """No md_in_html: a raw HTML block is HTML; its text stays as written, and the
    `markdown` attribute is reported as removed."""
    rendered = render('<div class="custom-text-box" markdown="1">\n**nem vastag**\n</div>')
    assert rendered.html == '<div class="custom-text-box">\n**nem vastag**\n</div>'
    assert rendered.removed == ["markdown attribute"]


def test_markdown_tables_get_the_house_wrapper_wherever_they_are():
    rendered = render("| a |\n|---|\n| 1 |\n\n> | b |\n> |---|\n> | 2 |\n")
    tree = parse(rendered.html)
    tables = tree.find_all("table")
    assert [t.attrs["class"] for t in tables] == ["custom-table", "custom-table"]
    assert rendered.html.startswith('<div class="table-container"><table class="custom-table">')
    wrapped = '<div class="table-container"><table class="custom-table">'
    assert f"<blockquote>\n{wrapped}" in rendered.html


def test_images_are_lazy_and_keep_alt_text():
    rendered = render(
        '![Az árfolyam alakulása](/kepek/arfolyam.png "Forrás")\n\n<img src="/b.png">'
    )
    imgs = parse(rendered.html).find_all("img")
    assert [img.attrs["alt"] for img in imgs] == ["Az árfolyam alakulása", ""]
    assert all(i.attrs["loading"] == "lazy" and i.attrs["decoding"] == "async" for i in imgs)
    assert rendered.images == ["/kepek/arfolyam.png", "/b.png"]
    assert any("/b.png" in w for w in rendered.warnings)  # raw <img> without alt


def test_every_link_gets_noopener_noreferrer():
    """nh3 sets one rel on every link (it cannot tell outside links apart), and replaces
    whatever rel the author wrote."""
    tree = parse(
        render(
            '[kint](https://example.com/x) [bent](/cikk/a/) <a href="#resz" rel="me">lap</a>'
        ).html
    )
    links = {a.text(): a.attrs for a in tree.find_all("a")}
    assert {name: attrs["rel"] for name, attrs in links.items()} == dict.fromkeys(
        ("kint", "bent", "lap"), "noopener noreferrer"
    )


def test_fenced_code_uses_pygments_classes_not_inline_styles():
    html = render('```python\ndef f(x):\n    return "$$x$$"\n```\n').html
    tree = parse(html)
    block = tree.find("div", "codehilite")
    assert block.find("span", "k").text() == "def"
    assert "style=" not in html
    assert '"$$x$$"' in unescape(block.text())


def test_indented_prose_is_not_guessed_into_a_language():
    html = render("Bekezdés.\n\n    print x\n").html
    assert '<span class="n">' not in html


def test_footnotes_render_with_hungarian_backlink():
    tree = parse(render("Állítás[^1].\n\n[^1]: Forrás.").html)
    assert tree.find("sup").attrs["id"] == "fnref:1"
    backlink = tree.find("a", "footnote-backref")
    assert backlink.attrs["href"] == "#fnref:1"
    assert "lábjegyzet" in backlink.attrs["title"]


def test_strike_but_no_subscript_and_no_smart_quotes():
    html = render('~~régi~~ ár: ~5 és ~10 millió, "idézet" -- és...').html
    assert "<del>régi</del>" in html
    assert "<sub>" not in html
    assert '"idézet" -- és...' in html


@pytest.mark.parametrize(
    "source, html",
    [
        ("~~régi~~ ár", "<p><del>régi</del> ár</p>"),
        ("x~~y~~z és (~~a~~).", "<p>x~~y~~z és (<del>a</del>).</p>"),
        ("~~a ~~~ b~~", "<p><del>a ~~~ b</del></p>"),  # a run between spaces is text
        ("a ~~ b ~~c~~", "<p>a ~~ b <del>c</del></p>"),
        ("~~ a~~ és ~~b ~~", "<p>~~ a~~ és ~~b ~~</p>"),
        ("\\~~a~~", "<p>~~a~~</p>"),  # an escaped "~" opens nothing
        (
            "~~**x**~~ és **~~y~~**",
            "<p><del><strong>x</strong></del> és <strong><del>y</del></strong></p>",
        ),
        ("`~~kód~~`", "<p><code>~~kód~~</code></p>"),
    ],
)
def test_strike_is_smart_about_word_boundaries(source, html):
    assert render(source).html == html


def test_inline_patterns_left_out_of_one_document_are_back_for_the_next():
    """Each document gets only the inline patterns and block processors its text can
    trigger (articles.render.markdown._Selection); the next document gets its own choice."""
    assert render("Csak szöveg, semmi jelölés.").html == "<p>Csak szöveg, semmi jelölés.</p>"
    everything = (
        "`kód` \\* [link](/a/) ![kép](/k.png) [ref][r] [r] <https://x.hu> <a@b.hu> "
        "<em>e</em> &amp; **v** _d_ ~~t~~ [^1]  \nsortörés\n\n[r]: /r/\n\n[^1]: Láb."
    )
    html = render(everything).html
    for expected in (
        "<code>kód</code>",
        " * ",
        '<a href="/a/" rel="noopener noreferrer">link</a>',
        '<img alt="kép" src="/k.png"',
        '<a href="/r/" rel="noopener noreferrer">ref</a>',
        '<a href="https://x.hu" rel="noopener noreferrer">https://x.hu</a>',
        "<em>e</em>",
        "&amp;",
        "<strong>v</strong>",
        "<em>d</em>",
        "<del>t</del>",
        '<sup id="fnref:1">',
        "<br>\nsortörés",
    ):
        assert expected in html, expected
    assert render("Csak *egy* jel.").html == "<p>Csak <em>egy</em> jel.</p>"
    assert render("| a |\n|---|\n| 1 |").html.startswith('<div class="table-container"><table')


def test_inline_pattern_selection_keeps_every_pattern_when_one_is_unknown():
    import markdown
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    from articles.render.markdown import _INLINE_TRIGGERS, _Selection

    md = markdown.Markdown()
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"(\+\+)(.+?)\+\+", "ins"), "ins", 5)
    selection = _Selection(md.inlinePatterns, _INLINE_TRIGGERS)
    assert selection.optional == []
    selection.select("semmi")
    assert "ins" in md.inlinePatterns and "link" in md.inlinePatterns
    assert md.convert("++új++ [a](/b)") == '<p><ins>új</ins> <a href="/b">a</a></p>'


def test_inline_pattern_selection_leaves_out_what_cannot_match_and_restores_the_order():
    from articles.render.markdown import _build

    md, cikk = _build()
    order = list(md.inlinePatterns)
    blocks = list(md.parser.blockprocessors)
    inline, block, tree = cikk.source.selections
    assert all(selection.optional for selection in cikk.source.selections)  # all known
    inline.select("Csak *szöveg*.")
    block.select("Csak *szöveg*.")
    assert "link" not in md.inlinePatterns and "backtick" not in md.inlinePatterns
    assert "strong_em" in md.inlinePatterns
    assert "table" not in md.parser.blockprocessors and "paragraph" in md.parser.blockprocessors
    block.select("| a |\n[^1]: b\n[c]: d")
    assert list(md.parser.blockprocessors) == blocks
    trees = list(md.treeprocessors)
    tree.select("Csak szöveg.")
    assert "attr_list" not in md.treeprocessors and "inline" in md.treeprocessors
    tree.select("{: #a } \\* [^1]")
    assert list(md.treeprocessors) == trees
    inline.select("`a` [b](c) ![d](e) ~~f~~ _g_ *n* <h> &i; \\j [^k] l@m  \n")
    assert list(md.inlinePatterns) == order


def test_attr_list_id_and_class_allowed_handlers_and_styles_not():
    rendered = render('## Cím {: #sajat .kiemelt onclick="alert(1)" style="color:red"}')
    heading = parse(rendered.html).find("h2")
    assert heading.attrs == {"id": "sajat", "class": "kiemelt"}
    assert set(rendered.removed) == {"onclick attribute", "style attribute"}


def test_empty_and_whitespace_input():
    assert render("").html == ""
    assert render("   \n\n").html == ""
    assert render("").word_count == 0


def test_markdownify_is_the_same_renderer():
    source = "Képlet: $$x^2$$ és <script>alert(1)</script>"
    assert markdownify(source) == render(source).html
    assert "<script" not in markdownify(source)


def test_render_is_thread_safe():
    sources = [f"## Cím {i}\n\n$$x_{i}$$ és **{i}**\n\n| a |\n|---|\n| {i} |" for i in range(8)]
    expected = [render(s).html for s in sources]
    results: dict[int, list[str]] = {}

    def work(index: int) -> None:
        results[index] = [render(sources[(index + k) % 8]).html for k in range(40)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, htmls in results.items():
        assert htmls == [expected[(index + k) % 8] for k in range(40)]


@pytest.mark.django_db
def test_article_save_stores_the_rendered_html():
    from articles.models import Article

    article = Article.objects.create(
        title="Próba", slug="proba", body="## Gyártási Kihozatal\n\n$$a_b$$\n\n<!-- titok -->"
    )
    article.refresh_from_db()
    assert '<h2 id="gyartasi-kihozatal">' in article.body_html
    assert '<div class="math math-display">\\[a_b\\]</div>' in tex_view(article.body_html)
    assert '<span class="katex-display">' in article.body_html  # typeset when saved
    assert "titok" not in article.body_html and "titok" not in article.search_text
