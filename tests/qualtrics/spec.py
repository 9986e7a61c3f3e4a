"""The request schemas our bodies are checked against (``schemas/``, written from docs/qualtrics-api.md).

Each file is a JSON Schema (draft 2020-12) for the body of one Qualtrics call; ``distribution.json``
and ``contact.json`` hold the parts several calls share, reached through ``$ref`` by file name.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def schema_names() -> list[str]:
    return sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))


def request_schema(name: str) -> dict[str, Any]:
    """The schema in ``schemas/<name>.json``."""
    return _registry().contents(f"{name}.json")


def validate(schema: dict[str, Any], body: Any) -> None:
    """Raise ``jsonschema.ValidationError`` (the most relevant one) when ``body`` breaks ``schema``."""
    Draft202012Validator(schema, registry=_registry()).validate(body)
