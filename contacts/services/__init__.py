"""Writes to a brand's XM Directory, and the bulk CSV import that runs in Celery.

One module per workflow: contacts, mailing_lists and members (directory writes); memberships (existing
contacts put on a list); transactions and batches (contact transactions, transaction batches); imports
(upload, check, start, cancel), import_runner (the run, step by step in a worker) and import_sweeps (purging
old files, finding abandoned imports). Every Qualtrics call goes through `connection_client(connection,
actor=actor)`, whose hook audits each write with Qualtrics' request id; the import is audited as well
(start, cancel, outcome). Functions are keyword-only, named `<entity>_<action>`, and take `actor=` for
the person acting.
"""

from .batches import batch_add_transactions, batch_create, batch_delete
from .contacts import DuplicateContactError, contact_create, contact_delete, contact_update
from .import_runner import IMPORT_RETRY, ImportTuning, contact_import_run
from .import_sweeps import contact_import_purge_files, contact_import_reap
from .imports import contact_import_cancel, contact_import_check, contact_import_create, contact_import_start
from .mailing_lists import mailing_list_create, mailing_list_delete, mailing_list_update
from .members import member_create, member_delete, member_update
from .memberships import members_add_existing, members_add_search_results
from .transactions import transaction_create, transaction_upsert

__all__ = [
    "IMPORT_RETRY",
    "DuplicateContactError",
    "ImportTuning",
    "batch_add_transactions",
    "batch_create",
    "batch_delete",
    "contact_create",
    "contact_delete",
    "contact_import_cancel",
    "contact_import_check",
    "contact_import_create",
    "contact_import_purge_files",
    "contact_import_reap",
    "contact_import_run",
    "contact_import_start",
    "contact_update",
    "mailing_list_create",
    "mailing_list_delete",
    "mailing_list_update",
    "member_create",
    "member_delete",
    "member_update",
    "members_add_existing",
    "members_add_search_results",
    "transaction_create",
    "transaction_upsert",
]
