# ruff: noqa: E501  (payloads are quoted as the cheat sheets print them, one per line)
"""Hostile content for the browser tests (tests/e2e/test_hostile_content.py).

Taken from public XSS filter-evasion lists and adapted so that each payload, if it ever ran,
would call a canary with its own number (`__xss(N)`, or `alert(N)` where the code runs in a
frame of its own): a hit names the payload that got through.

Sources (the `origin` of each payload):
- OWASP: the OWASP XSS Filter Evasion Cheat Sheet
  (cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html)
- PortSwigger: PortSwigger's Cross-site scripting cheat sheet
  (portswigger.net/web-security/cross-site-scripting/cheat-sheet), incl. its mXSS section
- HTML5Sec: the HTML5 Security Cheatsheet (html5sec.org)
- DOMPurify: published sanitizer bypasses (mutation XSS through foreign content)
- Markdown, KaTeX, Cikk: tricks aimed at this renderer (Python-Markdown and its extensions,
  KaTeX typesetting in the browser, the magazine's raw HTML house blocks, HTML comments)

Templates use these tokens, filled in by `expand()`:
  «js»       __xss(N)                  «alert»   alert(N)
  «js_dec»   javascript:__xss(N) as &#DDD; entities      «js_dec0» as &#0000DDD (no ;)
  «js_hex»   as &#xHH (no ;)           «b64»     base64 of an HTML document calling alert(N)
  «stored»   URL of an image really stored by the site (the body-image rewriter touches it)
"""

from __future__ import annotations

import base64
from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    number: int
    group: str
    origin: str
    source: str
    # True when the payload makes the sanitizer's HTML parser rightly take the text after it
    # into a dropped element (an unclosed <svg> or <plaintext>; a second <body> or an unclosed
    # <noscript> followed by other payloads): such a payload gets an article of its own, so
    # that the text around every other payload can be required on the page.
    alone: bool = False


# (group, origin, template, alone)
_BODY: list[tuple[str, str, str, bool]] = [
    # --- script elements in every spelling -------------------------------------------------
    ("script", "OWASP", "<script>«js»</script>", False),
    ("script", "OWASP", "<SCRIPT>«js»</SCRIPT>", False),
    ("script", "OWASP", "<ScRiPt>«js»</sCrIpT>", False),
    ("script", "OWASP", "<SCRIPT SRC=/static/xss.js?«n»></SCRIPT>", False),
    ("script", "OWASP", '<SCRIPT/XSS SRC="/static/xss.js?«n»"></SCRIPT>', False),
    ("script", "OWASP", "<<SCRIPT>«js»;//<</SCRIPT>", False),
    ("script", "OWASP", '<SCRIPT a=">">«js»</SCRIPT>', False),
    ("script", "OWASP", "<SCRIPT a=`>`>«js»</SCRIPT>", False),
    ("script", "OWASP", "<scr<script>ipt>«js»</scr</script>ipt>", False),
    ("script", "OWASP", '<IMG """><SCRIPT>«js»</SCRIPT>">', False),
    ("script", "OWASP", "</TITLE><SCRIPT>«js»</SCRIPT>", False),
    ("script", "OWASP", '"><script>«js»</script>', False),
    ("script", "PortSwigger", "<script type=module>«js»</script>", False),
    ("script", "HTML5Sec", "<svg><script xlink:href=data:,«js»></script></svg>", False),
    ("script", "HTML5Sec", "<svg><script>«js»</script></svg>", False),
    ("script", "OWASP", "<SCRIPT SRC=/static/xss.js?«n»< B >", True),
    # --- event handlers ----------------------------------------------------------------------
    ("handler", "OWASP", "<IMG SRC=/nincs-1.png onerror=«js»>", False),
    ("handler", "OWASP", '<IMG SRC=# onmouseover="«js»">', False),
    ("handler", "OWASP", '<IMG onmouseover="«js»">', False),
    ("handler", "OWASP", '<a onmouseover="«js»">xxs link</a>', False),
    ("handler", "OWASP", "<img/src=x/onerror=«js»>", False),
    ("handler", "OWASP", "<img src=x OnErRoR=«js»>", False),
    ("handler", "OWASP", "<BODY ONLOAD=«js»>", True),
    ("handler", "OWASP", "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=«js»>", True),
    ("handler", "PortSwigger", "<body onpageshow=«js»>", True),
    ("handler", "PortSwigger", "<details open ontoggle=«js»>részletek</details>", False),
    ("handler", "PortSwigger", "<input autofocus onfocus=«js»>", False),
    ("handler", "PortSwigger", "<xss onfocus=«js» autofocus tabindex=1>fókusz</xss>", False),
    ("handler", "PortSwigger", "<a id=x tabindex=1 onfocusin=«js»>fókusz</a>", False),
    ("handler", "PortSwigger", '<xss onclick="«js»" style=display:block>kattints</xss>', False),
    ("handler", "PortSwigger", '<p onmouseover="«js»" style="width:100%">rád</p>', False),
    (
        "handler",
        "PortSwigger",
        '<style>@keyframes x{}</style><xss style="animation-name:x" onanimationstart="«js»"></xss>',
        False,
    ),
    ("handler", "PortSwigger", '<video><source onerror="«js»"></video>', False),
    ("handler", "PortSwigger", "<audio src/onerror=«js»>", False),
    ("handler", "PortSwigger", "<video autoplay onloadstart=«js» src=/nincs.mp4></video>", False),
    ("handler", "PortSwigger", "<marquee onstart=«js»>fut</marquee>", False),
    ("handler", "PortSwigger", "<select autofocus onfocus=«js»></select>", False),
    ("handler", "PortSwigger", "<textarea autofocus onfocus=«js»>szöveg</textarea>", False),
    ("handler", "PortSwigger", "<iframe onload=«js»></iframe>", False),
    ("handler", "PortSwigger", "<svg onload=«js»>", False),
    ("handler", "PortSwigger", "<svg><animate onbegin=«js» attributeName=x dur=1s></svg>", False),
    ("handler", "PortSwigger", "<svg><set onbegin=«js» attributename=x to=1></svg>", False),
    ("handler", "HTML5Sec", "<frameset onload=«js»>", False),
    ("handler", "HTML5Sec", "<li style=list-style:url() onerror=«js»>pont</li>", False),
    ("handler", "HTML5Sec", "<div contenteditable onblur=«js»>szerkeszthető</div>", False),
    ("handler", "HTML5Sec", '<img src="x` `<script>«js»</script>"` `>', False),
    ("handler", "HTML5Sec", "<x '=\"foo\"><x foo='><img src=x onerror=«js»//'>", False),
    # --- script URLs in href/src/action/formaction/xlink:href --------------------------------
    ("url", "OWASP", '<a href="javascript:«js»">link</a>', False),
    ("url", "OWASP", '<IMG SRC="javascript:«js»;">', False),
    ("url", "OWASP", "<IMG SRC=JaVaScRiPt:«js»>", False),
    ("url", "OWASP", "<IMG SRC=`javascript:«js»`>", False),
    ("url", "OWASP", "<a href=«js_dec»>decimális</a>", False),
    ("url", "OWASP", "<a href=«js_dec0»>nullákkal</a>", False),
    ("url", "OWASP", "<a href=«js_hex»>hexa</a>", False),
    ("url", "OWASP", '<a href="jav\tascript:«js»;">tab</a>', False),
    ("url", "OWASP", '<a href="jav&#x09;ascript:«js»;">kódolt tab</a>', False),
    ("url", "OWASP", '<a href="jav&#x0A;ascript:«js»;">kódolt újsor</a>', False),
    ("url", "OWASP", '<a href="jav&#x0D;ascript:«js»;">kódolt CR</a>', False),
    ("url", "OWASP", '<a href=" &#14;  javascript:«js»;">szóköz előtte</a>', False),
    ("url", "OWASP", '<a href="\x01javascript:«js»">vezérlőkarakter</a>', False),
    ("url", "OWASP", '<a href="java&#0;script:«js»">null</a>', False),
    ("url", "PortSwigger", '<a href="javascript&colon;«js»">colon</a>', False),
    ("url", "PortSwigger", '<a href="jav&Tab;ascript:«js»">Tab entitás</a>', False),
    ("url", "PortSwigger", '<a href="&NewLine;javascript:«js»">NewLine</a>', False),
    ("url", "PortSwigger", '<a href="&#x6a;avascript:«js»">j entitás</a>', False),
    ("url", "OWASP", "<a href='vbscript:msgbox(«n»)'>vbscript</a>", False),
    ("url", "PortSwigger", '<a href="data:text/html;base64,«b64»">data</a>', False),
    ("url", "PortSwigger", "<form><button formaction=javascript:«js»>gomb</button></form>", False),
    (
        "url",
        "HTML5Sec",
        '<form id=f></form><button form=f formaction="javascript:«js»">X</button>',
        False,
    ),
    ("url", "OWASP", '<INPUT TYPE="IMAGE" SRC="javascript:«js»;">', False),
    ("url", "OWASP", '<form action="javascript:«js»"><input type=submit></form>', False),
    ("url", "OWASP", '<IMG LOWSRC="javascript:«js»">', False),
    (
        "url",
        "OWASP",
        '<TABLE BACKGROUND="javascript:«js»"><TR><TD BACKGROUND="javascript:«js»">cella</TD></TR></TABLE>',
        False,
    ),
    ("url", "HTML5Sec", "<video poster=javascript:«js»//></video>", False),
    (
        "url",
        "PortSwigger",
        '<svg><a xlink:href="javascript:«js»"><text x=20 y=20>svg link</text></a></svg>',
        False,
    ),
    (
        "url",
        "PortSwigger",
        "<svg><a><animate attributeName=href values=javascript:«js» /><text x=20 y=20>animált</text></a></svg>",
        False,
    ),
    ("url", "PortSwigger", '<math><x href="javascript:«js»">math link</x></math>', False),
    ("url", "HTML5Sec", '<math><a xlink:href="javascript:«js»">math xlink</a></math>', False),
    (
        "url",
        "OWASP",
        "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+«js»//'>",
        False,
    ),
    # --- frames, plugins, meta, base, link, style --------------------------------------------
    ("embed", "OWASP", '<IFRAME SRC="javascript:«js»;"></IFRAME>', False),
    ("embed", "OWASP", '<IFRAME SRC=# onmouseover="«js»"></IFRAME>', False),
    (
        "embed",
        "PortSwigger",
        '<iframe srcdoc="&lt;img src=1 onerror=alert(«n»)&gt;"></iframe>',
        False,
    ),
    ("embed", "PortSwigger", '<iframe src="data:text/html;base64,«b64»"></iframe>', False),
    ("embed", "OWASP", '<FRAMESET><FRAME SRC="javascript:«js»;"></FRAMESET>', False),
    ("embed", "PortSwigger", '<object data="javascript:«js»"></object>', False),
    (
        "embed",
        "OWASP",
        '<OBJECT TYPE="text/html" DATA="data:text/html;base64,«b64»"></OBJECT>',
        False,
    ),
    ("embed", "PortSwigger", '<embed src="javascript:«js»">', False),
    ("embed", "OWASP", '<EMBED SRC="data:image/svg+xml;base64,«b64»" type="image/svg+xml">', False),
    ("embed", "OWASP", '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:«js»;">', False),
    (
        "embed",
        "OWASP",
        '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,«b64»">',
        False,
    ),
    (
        "embed",
        "OWASP",
        '<META HTTP-EQUIV="refresh" CONTENT="0; URL=http://;URL=javascript:«js»;">',
        False,
    ),
    ("embed", "OWASP", '<BASE HREF="javascript:«js»;//">', False),
    (
        "embed",
        "HTML5Sec",
        '<base href="javascript:/a/-«js»///////"><a href=../lol/safari.html>base link</a>',
        False,
    ),
    ("embed", "OWASP", '<LINK REL="stylesheet" HREF="javascript:«js»;">', False),
    ("embed", "PortSwigger", "<embed src=/nincs.swf onerror=«js»>", False),
    ("embed", "PortSwigger", "<template><img src=x onerror=«js»></template>", False),
    ("embed", "PortSwigger", "<dialog open onclose=«js»>párbeszéd</dialog>", False),
    # --- CSS ---------------------------------------------------------------------------------
    ("css", "OWASP", '<DIV STYLE="background-image: url(javascript:«js»)">háttér</DIV>', False),
    (
        "css",
        "OWASP",
        "<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028.1027\\0058.1053\\0053\\0027\\0029'\\0029\">unicode css «n»</DIV>",
        False,
    ),
    ("css", "OWASP", '<DIV STYLE="width: expression(«js»);">expression</DIV>', False),
    ("css", "OWASP", '<IMG STYLE="xss:expr/*XSS*/ession(«js»)">', False),
    (
        "css",
        "OWASP",
        '<STYLE>li {list-style-image: url("javascript:«js»");}</STYLE><UL><LI>lista</UL>',
        False,
    ),
    ("css", "OWASP", "<STYLE>@import'javascript:«js»';</STYLE>", False),
    (
        "css",
        "OWASP",
        '<STYLE>.XSS{background-image:url("javascript:«js»");}</STYLE><A CLASS=XSS>osztály</A>',
        False,
    ),
    (
        "css",
        "OWASP",
        '<STYLE type="text/css">BODY{background:url("javascript:«js»")}</STYLE>',
        False,
    ),
    ("css", "OWASP", '<XSS STYLE="behavior: url(xss.htc?«n»);">viselkedés</XSS>', False),
    (
        "css",
        "HTML5Sec",
        '<div style="width:1px;-moz-binding:url(/x.xml#xss«n»)">binding</div>',
        False,
    ),
    ("css", "Cikk", '<div style="w\\idth: ex\\pression(«js»)">escape</div>', False),
    ("css", "Cikk", '<div style="max-width: calc(100% - url(javascript:«js»))">calc</div>', False),
    (
        "css",
        "Cikk",
        '<div style="width: 10px; background: image-set(url(javascript:«js») 1x)">image-set</div>',
        False,
    ),
    # --- mutation XSS: foreign content and raw-text breakouts --------------------------------
    ("mxss", "PortSwigger", '<noscript><p title="</noscript><img src=x onerror=«js»>">', True),
    ("mxss", "PortSwigger", '<style><img src="</style><img src=x onerror=«js»//">', False),
    (
        "mxss",
        "PortSwigger",
        '<textarea><img title="</textarea><img src=x onerror=«js»>"></textarea>',
        False,
    ),
    ("mxss", "PortSwigger", '<title><img title="</title><img src=x onerror=«js»>"></title>', False),
    ("mxss", "PortSwigger", '<xmp><img title="</xmp><img src=x onerror=«js»>"></xmp>', False),
    (
        "mxss",
        "PortSwigger",
        '<noembed><img title="</noembed><img src=x onerror=«js»>"></noembed>',
        False,
    ),
    (
        "mxss",
        "PortSwigger",
        '<iframe><img title="</iframe><img src=x onerror=«js»>"></iframe>',
        False,
    ),
    ("mxss", "PortSwigger", '<svg></p><style><a id="</style><img src=1 onerror=«js»>">', False),
    ("mxss", "PortSwigger", "<svg><p><style><img src=1 href=1 onerror=«js»></p></svg>", True),
    ("mxss", "PortSwigger", "<svg><style><img src=x onerror=«js»></style></svg>", False),
    (
        "mxss",
        "DOMPurify",
        "<math><mtext><table><mglyph><style><img src=x onerror=«js»></style></mglyph></table></mtext></math>",
        False,
    ),
    (
        "mxss",
        "DOMPurify",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=«js»>",
        True,
    ),
    (
        "mxss",
        "DOMPurify",
        '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=«js» src=1>"></textarea></mtext></svg></mglyph></mi></math>',
        False,
    ),
    (
        "mxss",
        "DOMPurify",
        '<svg><foreignobject><p><style><p title="</style><iframe onload=«js»>"></style></foreignobject></svg>',
        True,
    ),
    (
        "mxss",
        "HTML5Sec",
        '<svg><![CDATA[><image xlink:href="]]><img src=xx:x onerror=«js»//"></svg>',
        False,
    ),
    ("mxss", "PortSwigger", "<plaintext><script>«js»</script>", True),
    # --- comments, CDATA, processing instructions ---------------------------------------------
    ("comment", "HTML5Sec", '<!--<img src="--><img src=x onerror=«js»//">', False),
    ("comment", "HTML5Sec", '<comment><img src="</comment><img src=x onerror=«js»//">', False),
    ("comment", "HTML5Sec", '<![><img src="]><img src=x onerror=«js»//">', False),
    ("comment", "Cikk", "<!--><img src=x onerror=«js»>-->", False),
    ("comment", "Cikk", "<!---><img src=x onerror=«js»>-->", False),
    ("comment", "Cikk", "<!-- --!><img src=x onerror=«js»>-->", False),
    ("comment", "OWASP", "<!--[if gte IE 4]><SCRIPT>«js»;</SCRIPT><![endif]-->", False),
    ("comment", "Cikk", "<! foo=bar><img src=x onerror=«js»>", False),
    ("comment", "Cikk", "<?php <img src=x onerror=«js»> ?>", False),
    ("comment", "Cikk", "<![CDATA[<img src=x onerror=«js»>]]>", False),
    ("comment", "Cikk", "<!-- <!-- beágyazott --> <img src=x onerror=«js»> -->", False),
    ("comment", "Cikk", "Szöveg <!-- rejtett --> <img src=x onerror=«js»> szöveg", False),
    # --- Markdown ------------------------------------------------------------------------------
    ("markdown", "Markdown", "[md link](javascript:«js»)", False),
    ("markdown", "Markdown", "[md nagybetűs](JaVaScRiPt:«js»)", False),
    ("markdown", "Markdown", "[md entitás](javascript&#58;«js»)", False),
    ("markdown", "Markdown", "[md hexa entitás](&#x6A;avascript:«js»)", False),
    ("markdown", "Markdown", "[md csúcsos](<javascript:«js»>)", False),
    ("markdown", "Markdown", "[md szóközös](  javascript:«js»  )", False),
    ("markdown", "Markdown", "[md vbscript](vbscript:msgbox(«n»))", False),
    ("markdown", "Markdown", "[md data](data:text/html;base64,«b64»)", False),
    ("markdown", "Markdown", "![md kép](javascript:«js»)", False),
    ("markdown", "Markdown", '![md alt" onerror="«js»](/nincs-2.png)', False),
    ("markdown", "Markdown", '![md src](/nincs-3.png"onerror="«js»)', False),
    ("markdown", "Markdown", '![md cím](/nincs-4.png "t\\" onerror=\\"«js»")', False),
    ("markdown", "Markdown", '[md cím link](/ok/ "t\\" onmouseover=\\"«js»")', False),
    ("markdown", "Markdown", "[md aposztróf](/ok/ 'a\" onmouseover=\"«js»')", False),
    (
        "markdown",
        "Markdown",
        "[md hivatkozás][hostile-ref-«n»]\n\n[hostile-ref-«n»]: javascript:«js»",
        False,
    ),
    (
        "markdown",
        "Markdown",
        '[md hivatkozás csúcsos][hostile-ref2-«n»]\n\n[hostile-ref2-«n»]: <javascript:«js»> "cím"',
        False,
    ),
    (
        "markdown",
        "Markdown",
        "![md kép hivatkozás][hostile-img-«n»]\n\n[hostile-img-«n»]: javascript:«js»",
        False,
    ),
    ("markdown", "Markdown", "<javascript:«js»>", False),
    ("markdown", "Markdown", "<vbscript:msgbox(«n»)>", False),
    ("markdown", "Markdown", '<https://example.com/"onmouseover="«js»>', False),
    ("markdown", "Markdown", '<szerk@example.com"onmouseover="«js»>', False),
    ("markdown", "Markdown", '[md attr](/ok/){: onclick="«js»" }', False),
    ("markdown", "Markdown", '[md attr href](/ok/){: href="javascript:«js»" }', False),
    ("markdown", "Markdown", '![md attr kép](/nincs-5.png){: onerror="«js»" }', False),
    ("markdown", "Markdown", '## Címsor attribútummal {: onmouseover="«js»" }', False),
    ("markdown", "Markdown", "## Címsor képpel <img src=x onerror=«js»>", False),
    ("markdown", "Markdown", "## Címsor &lt;img src=x onerror=«js»&gt; entitásokkal", False),
    (
        "markdown",
        "Markdown",
        'Bekezdés attribútummal\n{: onclick="«js»" style="width:100%" }',
        False,
    ),
    ("markdown", "Markdown", '<div markdown="1">[md in html](javascript:«js»)</div>', False),
    ("markdown", "Markdown", "- lista <img src=x onerror=«js»>", False),
    ("markdown", "Markdown", "> idézet <a href=javascript:«js»>link</a>", False),
    ("markdown", "Markdown", "| fej |\n|---|\n| <img src=x onerror=«js»> |", False),
    ("markdown", "Markdown", "```\n</code></pre><script>«js»</script>\n```", False),
    ("markdown", "Markdown", "`</code><img src=x onerror=«js»>`", False),
    (
        "markdown",
        "Markdown",
        "Lábjegyzet[^hostile-«n»]\n\n[^hostile-«n»]: <img src=x onerror=«js»> jegyzet",
        False,
    ),
    (
        "markdown",
        "Markdown",
        'Lábjegyzet id[^x" onmouseover="«js»]\n\n[^x" onmouseover="«js»]: jegyzet',
        False,
    ),
    ("markdown", "Markdown", "[![kép a linkben](/nincs-6.png)](javascript:«js»)", False),
    # --- math typeset by KaTeX in the browser ----------------------------------------------
    ("math", "KaTeX", "$$\\href{javascript:«js»}{képlet link}$$", False),
    ("math", "KaTeX", "$$\\url{javascript:«js»}$$", False),
    ("math", "KaTeX", "$$\\htmlData{onmouseover=«js»}{x}$$", False),
    ("math", "KaTeX", "$$\\htmlClass{math-xss}{\\htmlId{xss«n»}{y}}$$", False),
    ("math", "KaTeX", "$$\\htmlStyle{background:url(javascript:«js»)}{z}$$", False),
    ("math", "KaTeX", "$$\\includegraphics[height=1em]{javascript:«js»}$$", False),
    ("math", "KaTeX", "$$\\def\\x{\\href{javascript:«js»}{makró}}\\x$$", False),
    ("math", "KaTeX", "$$\\text{<img src=x onerror=«js»>}$$", False),
    ("math", "KaTeX", "$$\\operatorname{<svg onload=«js»>}$$", False),
    ("math", "Cikk", "$$</span><img src=x onerror=«js»>$$", False),
    ("math", "Cikk", "\\(</span><script>«js»</script>\\)", False),
    ("math", "Cikk", "\\[</div><img src=x onerror=«js»>\\]", False),
    ("math", "Cikk", "$$ a \\) <img src=x onerror=«js»> \\( b $$", False),
    ("math", "Cikk", "$$\n\\href{javascript:«js»}{kijelzett link}\n$$", False),
    (
        "math",
        "Cikk",
        '<span class="math math-inline">\\(\\href{javascript:«js»}{kézi}\\)</span>',
        False,
    ),
    ("math", "Cikk", '<div class="math math-display">\\[\\htmlData{x=«n»}{kézi}\\]</div>', False),
    ("math", "Cikk", "$$x$$<script>«js»</script>$$y$$", False),
    # --- the magazine's raw HTML house blocks ----------------------------------------------
    (
        "house",
        "Cikk",
        '<div class="custom-text-box" onmouseover="«js»">\n    <h2>Doboz</h2>\n    <p>Doboz szöveg <img src=x onerror=«js»></p>\n</div>',
        False,
    ),
    (
        "house",
        "Cikk",
        '<div class="table-container">\n  <table class="custom-table">\n    <tr><td onclick="«js»" style="background:url(javascript:«js»)">cella</td><td><script>«js»</script>cella2</td></tr>\n    <!-- <tr><td><img src=x onerror=«js»></td></tr> -->\n  </table>\n</div>',
        False,
    ),
    (
        "house",
        "Cikk",
        '<div class="responsive-image-square" style="width: 100%;">\n  <img src="/nincs-7.png" alt="x" onerror="«js»" style="width: 100%; background-image: url(javascript:«js»)" />\n</div>',
        False,
    ),
    (
        "house",
        "Cikk",
        '<div class="custom-text-box">\n    <p>\n        <a href="javascript:«js»">doboz link</a> <svg/onload=«js»>\n    </p>\n</div>',
        False,
    ),
    (
        "house",
        "Cikk",
        '<div class="responsive-image-square">\n  <img src="«stored»" alt=\'x" onerror="«js»\' title="a\' onerror=\'«js»" />\n</div>',
        False,
    ),
    ("house", "Cikk", '![tárolt kép" onerror="«js»](«stored» "c\' onmouseover=\'«js»")', False),
]


# Frontmatter fields: they reach <title>, meta tags, JSON-LD, the h1, bylines, tag lists, the
# home page cards, search results, feeds and the admin's lists.
_FRONTMATTER: list[tuple[str, str, str]] = [
    ("title", "OWASP", "</title><script>«js»</script> kiskapu-cím"),
    ("title", "Cikk", "</script><script>«js»</script> kiskapu-jsonld"),
    ("title", "OWASP", '"><img src=x onerror=«js»> kiskapu-attr'),
    ("description", "OWASP", '" onmouseover="«js»" x=" kiskapu-leírás'),
    ("description", "Cikk", "</script><img src=x onerror=«js»> kiskapu-leírás2"),
    ("author", "OWASP", "<img src=x onerror=«js»> Kiskapu Szerző"),
    ("author", "Cikk", "</script><svg onload=«js»> Kiskapu Másik"),
    ("tag", "OWASP", "<script>«js»</script>kiskapu-címke"),
]

# Reflected through the search page's query string (its heading, input value and <title>).
_QUERIES: list[tuple[str, str]] = [
    ("OWASP", "<script>«js»</script> kiskapu"),
    ("OWASP", '"><img src=x onerror=«js»> kiskapu'),
    ("PortSwigger", "</title><svg onload=«js»> kiskapu"),
]


def _entities(text: str, fmt: str) -> str:
    return "".join(fmt % ord(ch) for ch in text)


def expand(template: str, number: int, stored: str = "/media/images/nincs.png") -> str:
    """A template with its tokens replaced for payload `number`."""
    js = f"__xss({number})"
    script_url = f"javascript:{js}"
    document = f"<script>alert({number})</script><img src=x onerror=alert({number})>"
    replacements = {
        "«js_dec0»": _entities(script_url, "&#%07d"),
        "«js_dec»": _entities(script_url, "&#%d;"),
        "«js_hex»": _entities(script_url, "&#x%X"),
        "«b64»": base64.b64encode(document.encode()).decode(),
        "«stored»": stored,
        "«alert»": f"alert({number})",
        "«js»": js,
        "«n»": str(number),
    }
    for token, value in replacements.items():
        template = template.replace(token, value)
    assert "«" not in template, template
    return template


def _numbered(template: str) -> str:
    assert "«" in template, f"a payload without its number: {template}"
    return template


def body_payloads(stored: str = "/media/images/nincs.png") -> list[Payload]:
    """Every body payload, numbered from 1."""
    return [
        Payload(number, group, origin, expand(_numbered(template), number, stored), alone)
        for number, (group, origin, template, alone) in enumerate(_BODY, start=1)
    ]


def frontmatter_payloads() -> list[Payload]:
    """Payloads for frontmatter fields (`group` names the field), numbered after the body's."""
    start = len(_BODY) + 1
    return [
        Payload(number, field, origin, expand(template, number))
        for number, (field, origin, template) in enumerate(_FRONTMATTER, start=start)
    ]


def query_payloads() -> list[Payload]:
    """Payloads for the search box, numbered after the frontmatter's."""
    start = len(_BODY) + len(_FRONTMATTER) + 1
    return [
        Payload(number, "query", origin, expand(template, number))
        for number, (origin, template) in enumerate(_QUERIES, start=start)
    ]
