"""The admin preview renders section by section (unchanged sections cached) and gives exactly the
HTML of the whole-document render: on the seed, the sample content and the awkward cases."""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter
import pytest

from articles.editor_views import preview_html, preview_sections
from articles.render import markdownify

CONTENT = Path(__file__).resolve().parents[1] / "content"

AWKWARD = {
    "fence": "Bevezető.\n\n```python\n\n# nem címsor\n\nx = 1\n```\n\n## Címsor\n\nSzöveg.\n",
    "div": '<div class="custom-text-box">\n\n## Belül\n\nSzöveg.\n\n</div>\n\n## Kint\n\nMég.\n',
    "math": "Előtte.\n\n$$\nx = 1\n\n# y\n$$\n\n## Utána\n\nVége.\n",
    "footnote": "Szöveg.[^1]\n\n## Második\n\n[^1]: Lábjegyzet.\n",
    "reference": "[link][r]\n\n## Második\n\n[r]: https://example.com/\n",
    "list": "- egy\n\n- kettő\n\n## Cím\n\n1. három\n",
    "setext": "Cím\n===\n\nSzöveg.\n\n## Más\n",
}


def _same(text: str) -> None:
    def norm(html: str) -> str:
        return re.sub(r"\s+", " ", html).strip()

    assert norm(preview_html(text)) == norm(markdownify(text))


def test_seed_preview_is_the_whole_render(seed_text):
    body = frontmatter.loads(seed_text).content
    assert len(preview_sections(body)) > 10  # really cut into sections
    _same(body)
    _same(body + "\n\nÚj bekezdés a végén.")  # a cached section next to a new one


@pytest.mark.parametrize("path", sorted(CONTENT.glob("*.md")), ids=lambda p: p.stem)
def test_sample_content_preview_is_the_whole_render(path):
    _same(frontmatter.loads(path.read_text(encoding="utf-8")).content)


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_awkward_documents(name):
    _same(AWKWARD[name])


def test_sections_are_not_cut_inside_code_html_or_math():
    assert len(preview_sections(AWKWARD["fence"])) == 2
    assert len(preview_sections(AWKWARD["div"])) == 2  # before "## Kint" only
    assert len(preview_sections(AWKWARD["math"])) == 2
    assert len(preview_sections(AWKWARD["footnote"])) == 1  # parts refer to each other
    assert len(preview_sections(AWKWARD["reference"])) == 1
