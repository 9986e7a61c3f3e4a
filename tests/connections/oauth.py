"""An OAuth client connection on the sandbox, for the OAuth tests of every app."""

from __future__ import annotations

from tests.factories import make_oauth_connection


def sandbox_oauth_connection(sandbox, owner, *, scopes: str = "manage:all", name: str = "Acme (OAuth)"):
    """A connection on the sandbox's acme brand through its seeded OAuth client, asking for `scopes`."""
    client_id, secret = sandbox.oauth_client()
    acme = sandbox.brand("acme")
    return make_oauth_connection(owner, client_id=client_id, secret=secret, name=name, datacenter=acme["datacenter"],
                                 scopes=scopes, account_type="UT_BRANDADMIN")


def token_requests(sandbox) -> int:
    return len(sandbox.calls("POST", "oauth2/token"))
