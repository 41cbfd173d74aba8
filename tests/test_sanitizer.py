"""Nothing an author (or an imported file) writes may run script in a reader's browser.

The hostile inputs come from public filter-evasion lists (the OWASP XSS Filter Evasion Cheat
Sheet and its classics), plus Markdown- and math-specific tricks for this renderer. Each is
rendered and the output parsed: no dangerous element, no event handler, no script URL, no
dangerous CSS (tests/html_tree.assert_inert).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.render import render
from articles.render.sanitize import uri_scheme
from tests.html_tree import assert_inert, parse

HOSTILE = [
    # Plain and malformed script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<<script>alert(1);//<</script>",
    "<script/xss src=https://xss.example/xss.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<body onload=alert(1)>",
    # Event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x OnErRoR=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    '<div onmouseover="alert(1)">rád</div>',
    '<a href="/ok" onclick="alert(1)">kattints</a>',
    '<p style="x" onfocus=alert(1) autofocus tabindex=1>fókusz</p>',
    # javascript:/vbscript:/data: URLs in every spelling
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="jav&#x0D;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="\x01javascript:alert(1)">x</a>',
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)"></style></mglyph>',
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    # Embedding elements
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<form action="javascript:alert(1)"><button>küld</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<input onfocus=alert(1) autofocus>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<video><source onerror="alert(1)"></video>',
    "<details open ontoggle=alert(1)>",
    # CSS tricks
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    "<div style=\"background-image: url('javascript:alert(1)')\">x</div>",
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">álcázás</div>',
    '<div style="width:1px;-moz-binding:url(https://xss.example/x.xml#xss)">x</div>',
    '<div style="w\\idth: ex\\pression(alert(1))">x</div>',
    '<img src="/a.png" style="width:100px; behavior: url(x.htc)">',
    "<style>@import 'https://xss.example/xss.css';</style>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="max-width: calc(100% - url(x))">x</p>',
    # Markdown syntax
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](https://example.com/a.png "title\\" onerror=\\"alert(1))',
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '[a](https://example.com){: onclick="alert(1)"}',
    '![a](/a.png){: onerror="alert(1)" style="position:fixed"}',
    "## Cím {: onmouseover=alert(1) }",
    # Math delimiters around markup
    "$$</span><script>alert(1)</script>$$",
    "\\(</span><img src=x onerror=alert(1)>\\)",
    "\\[</div><script>alert(1)</script>\\]",
    "$$x$$<script>alert(1)</script>$$y$$",
    # HTML comment tricks
    "<!--><script>alert(1)</script>-->",
    "<!-- --!><script>alert(1)</script>-->",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<!-- a -- > <script>alert(1)</script> -->",
    "<! foo=bar><script>alert(1)</script>",
    # Raw HTML inside Markdown constructs
    "- <img src=x onerror=alert(1)>",
    "> <a href=javascript:alert(1)>x</a>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    '<div markdown="1">[x](javascript:alert(1))</div>',
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`</code><script>alert(1)</script>`",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea></textarea><script>alert(1)</script>",
    "<template><script>alert(1)</script></template>",
    "<plaintext><script>alert(1)</script>",
]


def test_there_are_at_least_forty_hostile_inputs():
    assert len(HOSTILE) >= 40
    assert len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_executable_survives(source):
    rendered = render(source)
    assert_inert(rendered.html)


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_executable_survives_inside_a_house_block(source):
    assert_inert(render(f'<div class="custom-text-box">\n{source}\n</div>').html)


def test_script_and_style_go_with_their_content():
    rendered = render("Előtte <script>alert('titok')</script><style>p{color:red}</style> utána")
    assert "titok" not in rendered.html and "color" not in rendered.html
    assert "Előtte" in rendered.html and "utána" in rendered.html
    assert rendered.removed == ["<script>", "<style>"]


def test_unknown_tags_are_dropped_but_their_text_kept():
    rendered = render("<font color=red>piros</font> <marquee>fut</marquee>")
    assert rendered.html == "<p>piros fut</p>"
    assert rendered.removed == ["<font>", "<marquee>"]


def test_prose_less_than_is_escaped_not_stripped():
    assert render("Ha a < b és b > c, akkor a<b.").html == (
        "<p>Ha a &lt; b és b &gt; c, akkor a&lt;b.</p>"
    )


def test_removed_reports_what_the_sanitizer_dropped():
    rendered = render(
        '<img src="/a.png" alt="a" onclick="x()" style="position: fixed; width: 10px">\n\n'
        '<a href="javascript:alert(1)">x</a> <iframe src="/"></iframe>'
    )
    assert rendered.removed == [
        "onclick attribute",
        "style: position",
        "javascript: URL",
        "<iframe>",
    ]
    img = parse(rendered.html).find("img")
    assert img.attrs["style"] == "width:10px"
    # The javascript: href is gone; the link keeps only the rel the sanitizer sets on all.
    assert parse(rendered.html).find("a").attrs == {"rel": "noopener noreferrer"}


def test_house_image_style_keeps_safe_properties_only():
    rendered = render(
        '<div class="responsive-image-square" style="width: 100%; max-width: 40rem; '
        'position: absolute; background: url(/x.png)">\n'
        '<img src="/a.png" alt="a" style="width: 100%; height: auto; '
        'max-height: calc(100vh - 2rem)">\n</div>'
    )
    tree = parse(rendered.html)
    assert tree.find("div").attrs["style"] == "width:100%;max-width:40rem"
    assert tree.find("img").attrs["style"] == (
        "width:100%;height:auto;max-height:calc(100vh - 2rem)"
    )
    assert rendered.removed == ["style: position", "style: background"]


def test_allowed_links_and_anchors_pass():
    html = render(
        "[a](https://example.com) [b](mailto:szerk@example.com) [c](/cikk/x/) [d](#fn:1)"
    ).html
    hrefs = [a.attrs.get("href") for a in parse(html).find_all("a")]
    assert hrefs == ["https://example.com", "mailto:szerk@example.com", "/cikk/x/", "#fn:1"]


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JaVaScRiPt:alert(1)", "javascript"),
        ("jav&#x09;ascript:x", "javascript"),
        (" \x01java\nscript:x", "javascript"),
        ("&#106;avascript:x", "javascript"),
        ("https://example.com/", "https"),
        ("/relative:path", None),
        ("#fn:1", None),
    ],
)
def test_uri_scheme_reads_urls_like_a_browser(value, scheme):
    assert uri_scheme(value) == scheme


TAG_SOUP_CASES = [
    *HOSTILE,
    "<svg><g xlink:href='x'>t</g><br>hi</svg> után",
    "<math><mi>x</mi><mtext><img src=x></mtext></math>",
    "<!-- c -->farok<p>a<!--b-->c</p>  \n",
    "<br>x</br><img src=a>kép<input value=1>",
    "<table><tr><td> a <td>b\t</table> vége ",
    '<div class="custom-text-box"><h2>Cím</h2><p>  szöveg &amp; &lt;jel&gt; </p></div>',
    "<div>" * 2000 + "mély",
    " \n ",
    "",
]


@pytest.mark.parametrize("source", TAG_SOUP_CASES)
def test_the_sanitizer_alone_leaves_nothing_executable(source):
    """nh3 on raw HTML (not through Markdown): the last line of defence on its own."""
    from articles.render.sanitize import sanitize

    assert_inert(sanitize(source).html)


_TAG_SOUP = st.lists(
    st.sampled_from(
        ["<p>", "</p>", "<div>", "</div>", "<br>", "<img src=x>", "<svg>", "</svg>", "<!--",
         "-->", "<table>", "<td>", "<math>", "<mi>", " ", "\n", "a", "&amp;", "<b x=1>", "</",
         "<script>", "</script>", "<a href=javascript:x>", "onerror=alert(1)", '"', "'", ">"]
    )
    | st.text(max_size=5)
).map("".join)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(_TAG_SOUP)
def test_tag_soup_is_inert_and_its_text_is_kept(source):
    from articles.render.sanitize import sanitize

    result = sanitize(source)
    assert_inert(result.html)
    if "<" not in source and "&" not in source:
        shown = parse(result.html).text()
        assert all(word in shown for word in re.findall(r"\w+", source))


def test_a_style_is_cleaned_and_reported_in_every_document():
    """Style values are remembered (an article repeats the same few); a later document with
    the same style still gets the same cleaned value and its own report of what was dropped."""
    from articles.render.sanitize import sanitize

    html = '<div style="width: 10px; position: fixed; background: url(x)">a</div>'
    first, second = sanitize(html), sanitize(html)
    assert first == second
    assert 'style="width:10px"' in second.html
    assert second.removed == ["style: position", "style: background"]


@pytest.mark.parametrize(
    ("style", "kept"),
    [
        ("width: 100%; max-width: 40rem", "width:100%;max-width:40rem"),
        ("max-height: calc(100vh - 2rem)", "max-height:calc(100vh - 2rem)"),
        ("width: expression(alert(1))", None),
        ("width: calc(100% - url(x))", None),
        ("w\\idth: 1px", None),
        ("width: 1px /* ; position: fixed */", None),
        ("width: var(--x)", None),
        ("width: 'x'", None),
        ("text-align: center; float: left", "text-align:center;float:left"),
    ],
)
def test_style_values_that_load_or_run_anything_are_refused(style, kept):
    from articles.render.sanitize import sanitize

    attrs = parse(sanitize(f'<div style="{style}">x</div>').html).find("div").attrs
    assert attrs.get("style") == kept


def test_a_scheme_split_by_spaces_is_refused_too():
    """Markdown expands a tab to spaces; ammonia's URL parser then reads "jav    ascript:"
    as a relative URL. The sanitizer refuses it like a browser-lenient reader would."""
    rendered = render('<a href="jav\tascript:alert(1);">tab</a> <a href="/ok">ok</a>')
    assert [a.attrs.get("href") for a in parse(rendered.html).find_all("a")] == [None, "/ok"]
    assert rendered.removed == ["javascript: URL"]


def test_the_same_body_gives_the_same_bytes_in_every_process():
    """Stored HTML, ETags and the importer's parallel workers need byte-identical output; an
    attribute order taken from a hash map (nh3's set_tag_attribute_values) broke that."""
    import os
    import subprocess
    import sys

    program = (
        "import django; django.setup()\n"
        "from articles.render import render\n"
        "print(render('![kép](/a.png) <img src=\"/b.png\"> [l](https://example.com/)').html)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={**env, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3, 4)
    }
    assert len(outputs) == 1
    assert 'src="/a.png" loading="lazy" decoding="async">' in outputs.pop()


def test_removed_report_is_the_same_for_a_tag_seen_before():
    """Verdicts on tag spellings are remembered across renders: the second article with the
    same hostile tag gets the same report, in its own order of first appearance."""
    from articles.render.sanitize import sanitize

    first = sanitize('<p onclick="x()">a</p><img src="javascript:x" style="color:red">')
    second = sanitize('<img src="javascript:x" style="color:red"><p onclick="x()">b</p>')
    assert first.removed == ["onclick attribute", "javascript: URL", "style: color"]
    assert second.removed == ["javascript: URL", "style: color", "onclick attribute"]
    assert "onclick" not in second.html and "javascript" not in second.html


def test_plain_text_keeps_formulas_and_word_text_leaves_them_out():
    rendered = render("Az $$x_1 < y$$ és\n\n$$\n\\frac{a}{b}\n$$\n\nvége &amp; <b>kész</b>.")
    assert rendered.text == "Az x_1 < y és\n\n\\frac{a}{b}\n\nvége & kész."
    assert rendered.word_count == 4  # Az, és, vége, kész: TeX is not words
