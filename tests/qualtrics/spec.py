"""Request schemas from the shared Qualtrics spec files (../shared/qualtrics-openapi/)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SPEC_DIR = SHARED / "qualtrics-openapi"
OPENAPI_3 = SPEC_DIR / "Qualtrics Connector Spec - OpenAPI 3.0.json"
SWAGGER_2 = SPEC_DIR / "Qualtrics Connector Spec - Swagger 2.0.json"

# Our route → the spec's path for it.
SPEC_PATHS = {
    ("POST", "/distributions"): "/distributions",
    (
        "POST",
        "/directories/{d}/mailinglists/{m}/contacts",
    ): "/directories/{DirectoryId}/mailinglists/{MailingListId}/contacts",
    ("POST", "/eventsubscriptions"): "/eventsubscriptions/",
}


@cache
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _follow(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def openapi3_request_schema(method: str, route: str) -> dict[str, Any]:
    """The JSON schema of the request body in the OpenAPI 3.0 file.

    That file points its media-type schemas at ``components/requestBodies`` entries (request bodies,
    not schemas); the schema is the one inside that request body.
    """
    spec = _load(OPENAPI_3)
    operation = spec["paths"][SPEC_PATHS[(method, route)]][method.lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in schema:
        target = _follow(spec, schema["$ref"])
        schema = target["content"]["application/json"]["schema"] if "content" in target else target
    return schema


def swagger2_request_schema(method: str, route: str) -> dict[str, Any]:
    spec = _load(SWAGGER_2)
    operation = spec["paths"][SPEC_PATHS[(method, route)]][method.lower()]
    (body,) = [p for p in operation["parameters"] if p.get("in") == "body"]
    schema = body["schema"]
    while "$ref" in schema:
        schema = _follow(spec, schema["$ref"])
    return schema


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema refusing keys it does not name, to check our spelling of the keys it does."""
    tightened = copy.deepcopy(schema)
    tightened["additionalProperties"] = False
    return tightened


def validate(schema: dict[str, Any], body: Any) -> None:
    OAS30Validator(schema).validate(body)
