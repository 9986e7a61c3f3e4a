"""A distribution to one contact of a list names the contact, not its lookup ID."""

from __future__ import annotations

import pytest
from django.urls import reverse

from distributions.models import Distribution

from .test_guardrails import daytime
from .test_views import email_post, preview_then_schedule, url

pytestmark = pytest.mark.django_db


def test_a_send_to_one_contact_is_shown_by_the_contacts_name(login, live, acme):
    client = login(live.operator)
    data = email_post(acme, contact_lookup_id=acme.contact_lookup_id, **daytime())
    _preview, response = preview_then_schedule(client, url("distribution_create_email", live.connection), data)
    assert response.status_code == 302
    d = Distribution.objects.get()
    assert d.contact_label and d.contact_label != acme.contact_lookup_id
    page = client.get(reverse("distributions:distribution_detail",
                              kwargs={"connection_id": live.connection.pk, "distribution_id": d.pk}))
    recipients = page.content.decode().split('data-testid="recipients">', 1)[1].split("</dd>", 1)[0]
    assert recipients == f"{d.contact_label} in {d.mailing_list_name}"
    assert "CGC_" not in recipients
