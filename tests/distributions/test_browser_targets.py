"""In the browser: the composer's sample and transaction batch are chosen in searchable pickers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from connections.qualtrics_client import connection_client
from distributions.models import Distribution

from .test_browser import pick

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sample_of_the_list_and_a_transaction_batch_are_picked(browser_as, shot, live, acme):
    api = connection_client(live.connection, audit=False)
    sample = next(s for s in api.samples.list(acme.directory_id).iter_all() if s["name"].startswith("Newsletter"))
    batch = next(iter(api.transaction_batches.list(acme.directory_id).iter_all()))
    page = browser_as(live.operator)
    page.goto(reverse("distributions:distribution_create_email", kwargs={"connection_id": live.connection.pk}))
    pick(page, "mailing_list_id", sample["mailingListId"])
    pick(page, "sample_id", sample["sampleId"])
    expect(page.locator("#id_sample_id option:checked")).to_contain_text("Newsletter: one in ten — 20 contacts")
    shot(page, "composer-sample-picker")
    page.locator("#q_transaction_batch_id").fill(batch["id"][-5:])
    expect(page.locator("#id_transaction_batch_id option")).to_have_count(2)  # the blank one and the match
    pick(page, "transaction_batch_id", batch["id"])
    expect(page.locator("#id_transaction_batch_id option:checked")).to_contain_text("12 transactions")
    shot(page, "composer-batch-picker")
    page.get_by_test_id("preview-button").click()
    # A batch and a list together are refused beside the batch: choose one target.
    expect(page.get_by_test_id("error-transaction_batch_id")).to_contain_text("either to a mailing list or")
    assert Distribution.objects.count() == 0
