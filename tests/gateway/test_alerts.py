"""The gateway's daily sweeps: managers told once about keys about to expire, inside the notice window; old call
records deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from connections.models import AuditEvent, Role
from gateway import tasks
from gateway.services import api_key_revoke
from gateway.services.alerts import api_key_expiry_notice_send, keys_due_for_expiry_notice

pytestmark = pytest.mark.django_db


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def test_keys_inside_the_notice_window_are_due(local_gw):
    local_gw.connection.notify_days_before = 7
    local_gw.connection.save()
    soon, _ = local_gw.issue(name="Soon", expires_on=in_days(7))
    local_gw.issue(name="Later", expires_on=in_days(8))
    local_gw.issue(name="Never")
    revoked, _ = local_gw.issue(name="Revoked", expires_on=in_days(2))
    api_key_revoke(key=revoked, actor=local_gw.owner, role=Role.MANAGER)
    assert keys_due_for_expiry_notice() == [soon.pk]


def test_the_notice_goes_to_the_managers_once(local_gw, mailoutbox):
    key, text = local_gw.issue(expires_on=in_days(3))
    assert api_key_expiry_notice_send(key_id=key.pk) is True
    assert api_key_expiry_notice_send(key_id=key.pk) is False
    assert keys_due_for_expiry_notice() == []
    [mail] = mailoutbox
    assert "Segment production" in mail.subject and "in 3 days" in mail.subject
    assert local_gw.manager.email in mail.to and local_gw.viewer.email not in mail.to
    assert key.prefix in mail.body and text not in mail.body
    assert AuditEvent.objects.filter(action="alert.api_key_expiry").count() == 1


def test_a_new_expiry_date_is_told_about_again(local_gw, mailoutbox):
    key, _ = local_gw.issue(expires_on=in_days(3))
    api_key_expiry_notice_send(key_id=key.pk)
    key.expires_on = in_days(5)
    key.save()
    assert keys_due_for_expiry_notice() == [key.pk]
    assert api_key_expiry_notice_send(key_id=key.pk) is True and len(mailoutbox) == 2


def test_the_sweep_fans_out_one_task_per_key(local_gw, mailoutbox, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    local_gw.issue(name="One", expires_on=in_days(1))
    local_gw.issue(name="Two", expires_on=in_days(2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.api_keys_expiry_sweep_task() == 2
    assert sorted(m.subject.split("”")[0] for m in mailoutbox) == ["API key “One", "API key “Two"]
    assert "gateway-key-expiry-sweep" in tasks.BEAT_SCHEDULE




def test_call_records_older_than_the_retention_are_deleted(local_gw, settings):
    from gateway.models import GatewayCall

    settings.GATEWAY_CALL_RETENTION_DAYS = 30
    key, _ = local_gw.issue()
    now = timezone.now()
    for days in (45, 31, 29, 0):
        GatewayCall.objects.create(key=key, method="GET", path=f"/d{days}", status=200,
                                   created_at=now - dt.timedelta(days=days))
    assert tasks.gateway_calls_retention_sweep_task() == 2
    assert sorted(GatewayCall.objects.values_list("path", flat=True)) == ["/d0", "/d29"]
