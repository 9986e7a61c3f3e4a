"""GET /whoami: the user behind the token."""

from __future__ import annotations

from typing import Any

from ..routing import ApiCall, RouteTable

table = RouteTable()


@table.get("/whoami")
def whoami(call: ApiCall) -> dict[str, Any]:
    user = call.user
    return {
        "brandId": call.brand.id,
        "userId": user.id,
        "userName": user.username,
        "accountType": user.user_type,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "datacenter": call.brand.datacenter,
    }
