"""Template source rules that Django does not enforce."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A `{# … #}` comment must open and close on one line; otherwise Django prints it as text.
OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def templates() -> list[Path]:
    return sorted(p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts)


def test_every_one_line_comment_closes_on_its_line():
    assert len(templates()) > 50
    found = [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
             for path in templates() for text in [path.read_text()] for m in OPEN_COMMENT.finditer(text)]
    assert found == []


def test_no_page_shows_template_comment_text(personas, login):
    from django.urls import reverse

    body = login(personas.owner).get(reverse("dashboard")).content.decode()
    assert "{#" not in body and "#}" not in body
