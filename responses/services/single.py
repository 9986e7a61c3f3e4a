"""Changes to one recorded response: its embedded data (operators), its deletion (managers, audited)."""

from __future__ import annotations

from connections.audit import audit_record
from connections.qualtrics_client import connection_client


def response_embedded_data_set(*, connection, actor, survey_id: str, response_id: str, name: str,
                               value: str) -> None:
    """Set one embedded-data field of a response in Qualtrics (the client audits the write)."""
    connection_client(connection, actor=actor).responses.update_embedded_data(survey_id, response_id, {name: value})


def response_delete(*, connection, actor, survey_id: str, survey_name: str, response_id: str) -> None:
    """Delete a response in Qualtrics; the audit trail names it and its survey."""
    client = connection_client(connection, actor=actor, audit=False)
    client.responses.delete(survey_id, response_id)
    request_id = (client.last_meta or {}).get("requestId", "")
    audit_record(actor=actor, connection=connection, action="responses.response.delete",
                 target=f"{response_id} of {survey_name} ({survey_id})", request_id=request_id)
