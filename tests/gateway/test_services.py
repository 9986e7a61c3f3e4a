"""Issuing and revoking keys: what is kept, who may, what is audited."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from connections.models import AuditEvent, Role
from gateway.models import ApiKey
from gateway.services import api_key_issue, api_key_revoke

pytestmark = pytest.mark.django_db


class TestIssue:
    def test_it_keeps_only_a_hash_and_the_prefix(self, local_gw):
        key, text = local_gw.issue()
        assert text.startswith(key.prefix + "_") and len(text) > 50
        stored = ApiKey.objects.get(pk=key.pk)
        assert stored.hash == hashlib.sha256(text.encode()).hexdigest()
        assert text not in str(ApiKey.objects.filter(pk=key.pk).values().get())
        assert stored.matches(text) and not stored.matches(text[:-1] + ("A" if text[-1] != "A" else "B"))

    def test_each_key_is_different(self, local_gw):
        (first, text1), (second, text2) = local_gw.issue(), local_gw.issue(name="Make")
        assert text1 != text2 and first.prefix != second.prefix

    def test_a_preset_gives_its_rules_and_custom_takes_its_own(self, local_gw):
        key, _ = local_gw.issue(preset="directory_writes", rules="DELETE /users/*")
        assert "DELETE" in key.rules and "/directories/**" in key.rules and "/users" not in key.rules
        custom, _ = local_gw.issue(preset="custom", rules="delete /users/*")
        assert custom.rules == "DELETE /users/*"
        with pytest.raises(ValidationError):
            local_gw.issue(preset="custom", rules="")

    def test_networks_are_kept_normalised(self, local_gw):
        key, _ = local_gw.issue(allowed_networks="203.0.113.9/24, 2001:db8::1")
        assert key.allowed_networks == "203.0.113.0/24\n2001:db8::1/128"

    @pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
    def test_only_managers_issue(self, local_gw, role):
        with pytest.raises(PermissionDenied):
            api_key_issue(connection=local_gw.connection, actor=local_gw.operator, role=role, name="x",
                          preset="read_only")
        assert not ApiKey.objects.exists()

    def test_it_is_audited_without_the_key(self, local_gw):
        key, text = local_gw.issue()
        event = AuditEvent.objects.get(action="gateway.key_issue")
        assert event.connection == local_gw.connection and key.prefix in event.target
        assert text not in f"{event.target} {event.detail}"


class TestRevoke:
    def test_it_revokes_once_and_audits_it(self, local_gw):
        key, _ = local_gw.issue()
        api_key_revoke(key=key, actor=local_gw.manager, role=Role.MANAGER)
        first = ApiKey.objects.get(pk=key.pk).revoked_at
        assert first is not None and key.status == "revoked"
        api_key_revoke(key=key, actor=local_gw.owner, role=Role.MANAGER)
        assert ApiKey.objects.get(pk=key.pk).revoked_at == first
        assert AuditEvent.objects.filter(action="gateway.key_revoke").count() == 1

    def test_only_managers_revoke(self, local_gw):
        key, _ = local_gw.issue()
        with pytest.raises(PermissionDenied):
            api_key_revoke(key=key, actor=local_gw.operator, role=Role.OPERATOR)
        assert ApiKey.objects.get(pk=key.pk).revoked_at is None
