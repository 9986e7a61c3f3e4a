"""Contact data as the portal's forms hold it (Qualtrics' field names) turned into client arguments."""

from __future__ import annotations

CLIENT_ARGS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "extRef": "ext_ref",
    "language": "language",
    "unsubscribed": "unsubscribed",
    "embeddedData": "embedded_data",
}


def client_kwargs(data: dict, *, keep_blank: bool) -> dict:
    """Client keyword arguments from Qualtrics-spelled contact data.

    On create, blank fields are left out; on edit they are sent as "" so clearing a field clears it.
    """
    out = {}
    for key, arg in CLIENT_ARGS.items():
        if key not in data:
            continue
        value = data[key]
        if value in (None, "") and not keep_blank:
            continue
        if key == "embeddedData" and not value:
            continue
        out[arg] = "" if value is None else value
    return out


def clearing_removed_embedded(data: dict, removed_embedded: tuple[str, ...]) -> dict:
    """`data` with the embedded-data fields removed in the editor sent as null, which removes them from the
    contact (an empty string would keep the field with no value; docs/qualtrics-api.md#xm-directory)."""
    data = dict(data)
    if removed_embedded:
        embedded = dict(data.get("embeddedData") or {})
        for name in removed_embedded:
            embedded.setdefault(name, None)
        data["embeddedData"] = embedded
    return data
