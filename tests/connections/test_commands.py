"""rotate_encryption_key: re-encrypts every token with the first key, all or nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from connections.crypto import decrypt_token, encrypted_with_current_key
from connections.models import AuditEvent, Connection
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("rotate_encryption_key", *args, stdout=out)
    return out.getvalue()


def test_it_moves_every_token_to_the_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    owner = make_user("ada")
    tokens = {make_connection(owner, name=f"C{n}").pk: None for n in range(3)}
    for pk in tokens:
        tokens[pk] = decrypt_token(Connection.objects.get(pk=pk).token_encrypted)
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert not any(encrypted_with_current_key(c.token_encrypted) for c in Connection.objects.all())

    assert run("--dry-run") == "Dry run: all 3 token(s) can be decrypted; 3 are under an older key and would be " \
        "re-encrypted.\n"
    assert not any(encrypted_with_current_key(c.token_encrypted) for c in Connection.objects.all())

    output = run()
    assert "Re-encrypted 3 token(s) with the first key (3 were under an older key, 0 already under the first)." \
        in output
    settings.FIELD_ENCRYPTION_KEYS = [new]
    for connection in Connection.objects.all():
        assert decrypt_token(connection.token_encrypted) == tokens[connection.pk]
    assert AuditEvent.objects.filter(action="connection.token_reencrypt").count() == 3

    again = run()
    assert "(0 were under an older key, 3 already under the first)" in again
    assert "No token uses an older key any more: the old keys can be removed." in again


def test_it_changes_nothing_when_a_token_cannot_be_decrypted(settings):
    lost, kept = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    owner = make_user("ada")
    settings.FIELD_ENCRYPTION_KEYS = [kept]
    fine = make_connection(owner, name="Fine")
    settings.FIELD_ENCRYPTION_KEYS = [lost]
    broken = make_connection(owner, name="Broken")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), kept]
    before = dict(Connection.objects.values_list("pk", "token_encrypted"))
    with pytest.raises(CommandError) as caught:
        run()
    assert str(caught.value) == (
        f"1 token(s) cannot be decrypted with any key in FIELD_ENCRYPTION_KEY: #{broken.pk} “Broken” (owner ada). "
        "Nothing was changed. Add the key those tokens were saved with (after the new one), or enter those "
        "tokens again on their connections, then run this command again."
    )
    assert dict(Connection.objects.values_list("pk", "token_encrypted")) == before
    assert fine.pk in before
