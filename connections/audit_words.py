"""The audit trail in words: each action code as a phrase, each Qualtrics call as what it did to what.

The codes stay in the database and the CSV (they are stable for tooling); the screens show these words. A
code without words here shows as the code, so a new action is never hidden.
"""

from __future__ import annotations

import re

ACTIONS = {
    "alert.api_key_expiry": "Alert: an API key expires soon",
    "alert.expiry_notice": "Alert: the token expires soon",
    "alert.expired": "Alert: the token expired",
    "alert.token_rejected": "Alert: Qualtrics refused the token",
    "brandadmin.user_password.shown_once": "A new user's password shown once",
    "brandadmin.user_token.saved_to_connection": "A user's API token saved as a connection",
    "brandadmin.user_token.shown_once": "A user's API token shown once",
    "connection.create": "Connection created",
    "connection.datacenter_fix": "Datacenter corrected",
    "connection.delete": "Connection deleted",
    "connection.rotate": "Token rotated",
    "connection.test": "Connection tested",
    "connection.token_reencrypt": "Token re-encrypted with a new key",
    "connection.update": "Connection settings changed",
    "console.access": "API console opened to operators",
    "console.save": "API console request saved",
    "console.unsave": "API console request removed",
    "contacts.export": "Contacts exported",
    "contacts.import.start": "Contact import started",
    "contacts.import.cancel": "Contact import cancelled",
    "contacts.import.cancelled": "Contact import stopped after a cancel",
    "contacts.import.completed": "Contact import finished",
    "contacts.import.failed": "Contact import failed",
    "contacts.members.add_existing": "Existing contacts put on a list",
    "distribution.cancel": "Distribution cancelled",
    "distribution.duplicate": "Distribution duplicated",
    "distribution.edit": "Distribution edited",
    "distribution.hold": "Distribution held",
    "distribution.reconcile": "Distribution checked in Qualtrics",
    "distribution.refresh_stats": "Distribution figures refreshed",
    "distribution.resume": "Distribution resumed",
    "distribution.schedule": "Distribution scheduled",
    "distribution.send": "Distribution sent",
    "distribution.sent": "Distribution sent",
    "gateway.key_issue": "API key issued",
    "gateway.key_revoke": "API key revoked",
    "label.set": "Name given to a type or division",
    "share.add": "Connection shared",
    "share.change": "Share's role changed",
    "share.remove": "Share removed",
    "survey.activate": "Survey activated",
    "survey.copy": "Survey copied",
    "survey.deactivate": "Survey deactivated",
    "survey.delete": "Survey deleted",
    "survey.import": "Survey imported",
    "survey.rename": "Survey renamed",
    "survey.window": "Survey's response window changed",
    "workflow.run.cancel": "Workflow run cancelled",
    "workflow.run.finish": "Workflow run finished",
    "workflow.run.hold": "Workflow run held",
    "workflow.run.retry": "Workflow events sent again",
    "workflow.run.start": "Workflow run started",
    "workflow.trigger.create": "Workflow trigger created",
    "workflow.trigger.delete": "Workflow trigger deleted",
    "workflow.trigger.update": "Workflow trigger changed",
}

VERBS = {"post": "Created in Qualtrics", "put": "Changed in Qualtrics", "patch": "Changed in Qualtrics",
         "delete": "Deleted in Qualtrics", "get": "Read from Qualtrics"}
CONSOLE_VERBS = {method: f"API console: {method.upper()} call" for method in VERBS}

# Path segments of the Qualtrics API as nouns, singular (a segment followed by an ID names one of them).
NOUNS = {
    "directories": "directory", "mailinglists": "mailing list", "contacts": "contact", "transactions": "transaction",
    "transactionbatches": "transaction batch", "samples": "sample", "surveys": "survey",
    "distributions": "distribution",
    "users": "user", "groups": "group", "members": "member", "libraries": "library", "messages": "message",
    "import": "import", "imports": "import", "transactioncontacts": "transaction contacts import",
    "eventsubscriptions": "event subscription", "responseexports": "response export", "sms": "SMS",
    "apitoken": "API token", "survey-definitions": "survey definition", "quotas": "quota", "optedOutContacts":
    "opted-out contact", "workflows": "workflow", "embeddeddata": "embedded data",
}
ID_SEGMENT = re.compile(r"^[A-Z]{2,5}_[A-Za-z0-9]+$")


def action_words(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    family, _, method = action.partition(".")
    if family == "qualtrics" and method in VERBS:
        return VERBS[method]
    if family == "console" and method in CONSOLE_VERBS:
        return CONSOLE_VERBS[method]
    if family == "alert":
        return f"Alert: {method.replace('_', ' ')}"
    return action


def target_words(target: str) -> str:
    """A Qualtrics API path as the things it names ("mailing list CG_1 > contact CID_2", with a chevron);
    anything else as is."""
    if not target.startswith("/"):
        return target
    path = target.split("?", 1)[0].strip("/")
    parts, pending = [], None
    for segment in path.split("/"):
        if not segment or segment in ("API", "v3"):
            continue
        if pending is not None and ID_SEGMENT.match(segment):
            parts.append(f"{pending} {segment}")
            pending = None
            continue
        if pending is not None:
            parts.append(pending)
        pending = NOUNS.get(segment, segment.replace("-", " "))
    if pending is not None:
        parts.append(pending)
    return " › ".join(parts) if parts else target


OUTCOME_WORDS = {"ok": "Done", "failed": "Failed", "denied": "Refused"}


def outcome_words(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome)
