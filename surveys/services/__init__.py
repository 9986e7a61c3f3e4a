"""Writes of the surveys app, one module per workflow: changes (activate or deactivate, rename, set the
expiration window), creation (copy, import a .qsf file) and deletion.

Every Qualtrics call goes through `connection_client(connection, actor=actor)`, whose hook audits each
write with Qualtrics' request id; each service also records what it did in words (`survey.rename`, …)
with `audit_record`, and drops the connection's cached survey reads. Functions are keyword-only, named
`survey_<action>`, and take `actor=` for the person acting.
"""

from .changes import NAME_MAX, survey_rename, survey_set_active, survey_set_window
from .creation import survey_copy, survey_import
from .deletion import survey_delete

__all__ = [
    "NAME_MAX",
    "survey_copy",
    "survey_delete",
    "survey_import",
    "survey_rename",
    "survey_set_active",
    "survey_set_window",
]
