"""An answer's JSON body as foldable HTML: each object and array a <details> element, so the page folds and
unfolds it without script. Built in Python (every value escaped) like the generic tables' rows."""

from __future__ import annotations

import html
import json
from typing import Any

from django.utils.safestring import SafeString, mark_safe

MAX_NODES = 5000  # beyond this the body is shown as pretty-printed text instead
OPEN_DEPTH = 3  # levels unfolded at first (a long list only at the top)
LONG = 20


class _TooBig(Exception):
    pass


def pretty(text: str) -> str:
    """The body pretty-printed when it is JSON, else as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def json_tree(text: str) -> SafeString | None:
    """The JSON body as nested, foldable HTML; None when it is not JSON or too big to draw node by node."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    budget = [MAX_NODES]
    try:
        return mark_safe(_node(None, document, 0, budget, "$"))  # noqa: S308 - every value escaped in _node
    except _TooBig:
        return None


def _key(key: str | int | None) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f'<span class="json-index">{key}</span>: '
    return f'<span class="json-key">"{html.escape(key)}"</span>: '


def _scalar(value: Any) -> str:
    if value is None:
        return '<span class="json-null">null</span>'
    if isinstance(value, bool):
        return f'<span class="json-bool">{"true" if value else "false"}</span>'
    if isinstance(value, int | float):
        return f'<span class="json-number">{html.escape(json.dumps(value))}</span>'
    return f'<span class="json-string">{html.escape(json.dumps(value, ensure_ascii=False))}</span>'


def _node(key, value: Any, depth: int, budget: list[int], where: str) -> str:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if not isinstance(value, dict | list):
        return f'<div class="json-leaf">{_key(key)}{_scalar(value)}</div>'
    if isinstance(value, dict):
        items = list(value.items())
        opening, closing = "{", "}"
        count = f"{len(items)} key{'s' if len(items) != 1 else ''}"
    else:
        items = list(enumerate(value))
        opening, closing = "[", "]"
        count = f"{len(items)} item{'s' if len(items) != 1 else ''}"
    if not items:
        return f'<div class="json-leaf">{_key(key)}<span class="json-punct">{opening}{closing}</span></div>'
    children = "".join(
        _node(k, v, depth + 1, budget, f"{where}.{k}" if isinstance(k, str) else f"{where}[{k}]") for k, v in items
    )
    state = " open" if depth < OPEN_DEPTH and (depth < 2 or len(items) <= LONG) else ""
    return (
        f'<details class="json-node"{state} data-path="{html.escape(where)}"><summary>{_key(key)}'
        f'<span class="json-punct">{opening}</span><span class="json-count">{count}</span>'
        f'<span class="json-punct">{closing}</span></summary><div class="json-children">{children}</div></details>'
    )
