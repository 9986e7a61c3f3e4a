"""The portal's screens over HTTPS, against the sandbox's TLS mode and its own CA (QUALTRICS_CA_FILE)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sandbox.server import SandboxServer
from tests.factories import make_connection, make_user
from tests.fixtures.secrets import register_token


@pytest.fixture(scope="module")
def tls_sandbox():
    with SandboxServer(seed="demo", tls=True) as server:
        yield server


@pytest.mark.django_db
@pytest.mark.parametrize(
    "screen",
    ["connections:connection_detail", "contacts:home", "brandadmin:user_list", "brandadmin:group_list",
     "distributions:distribution_list", "apiconsole:console", "workflows:trigger_list"],
)
def test_the_portal_screens_work_over_https(tls_sandbox, settings, client, screen):
    settings.QUALTRICS_API_BASE_URL = tls_sandbox.base_url_template
    settings.QUALTRICS_CA_FILE = tls_sandbox.ca_file
    register_token(tls_sandbox.admin_token)
    owner = make_user("tess")
    connection = make_connection(owner, name="Acme over TLS", token=tls_sandbox.admin_token,
                                 account_type="UT_BRANDADMIN")
    client.force_login(owner)
    response = client.get(reverse(screen, args=[connection.pk]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Qualtrics could not" not in html and "did not answer" not in html
