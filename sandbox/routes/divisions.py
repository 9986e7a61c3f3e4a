"""Divisions: the brand's sub-units that users and groups belong to. Qualtrics cannot list them; one is read,
created or renamed by its ID."""

from __future__ import annotations

from typing import Any

from .. import validation
from ..envelope import not_found
from ..routing import ApiCall, RouteTable

table = RouteTable()


def _division(call: ApiCall) -> tuple[str, str]:
    division_id = call.params["divisionId"]
    if division_id not in call.brand.divisions:
        raise not_found("division", division_id)
    return division_id, call.brand.divisions[division_id]


@table.post("/divisions")
def create_division(call: ApiCall) -> dict[str, Any]:
    body = call.json()
    validation.keys(body, required=("name",))
    validation.required_str(body, "name", 200)
    division_id = call.state.ids.make("DV")
    call.brand.divisions[division_id] = body["name"]
    return {"id": division_id}


@table.get("/divisions/{divisionId}")
def get_division(call: ApiCall) -> dict[str, Any]:
    division_id, name = _division(call)
    return {"id": division_id, "name": name, "organizationId": call.brand.id}


@table.put("/divisions/{divisionId}")
def update_division(call: ApiCall) -> None:
    division_id, _ = _division(call)
    body = call.json()
    validation.keys(body, optional=("name",))
    if "name" in body:
        validation.required_str(body, "name", 200)
        call.brand.divisions[division_id] = body["name"]
