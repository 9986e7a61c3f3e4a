"""Re-encrypt every stored API token with the first key of FIELD_ENCRYPTION_KEY.

Rotating the key: put the new key first in FIELD_ENCRYPTION_KEY, keep the old one after it, run this
command, then drop the old key. Nothing is changed unless every token can be decrypted.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connections.services import tokens_reencrypt, tokens_undecryptable


class Command(BaseCommand):
    help = "Re-encrypt every connection's API token with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only check that every token can be decrypted; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        broken = tokens_undecryptable()
        if broken:
            listing = "; ".join(f"#{c.pk} “{c.name}” (owner {c.owner.get_username()})" for c in broken)
            raise CommandError(
                f"{len(broken)} token(s) cannot be decrypted with any key in FIELD_ENCRYPTION_KEY: {listing}. "
                "Nothing was changed. Add the key those tokens were saved with (after the new one), or enter "
                "those tokens again on their connections, then run this command again."
            )
        if dry_run:
            report = tokens_reencrypt(dry_run=True)
            self.stdout.write(
                f"Dry run: all {report.total} token(s) can be decrypted; {report.on_old_key} are under an older "
                "key and would be re-encrypted."
            )
            return
        report = tokens_reencrypt()
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {report.total} token(s) with the first key "
                f"({report.on_old_key} were under an older key, {report.total - report.on_old_key} already "
                "under the first)."
            )
        )
        if report.on_old_key == 0 and report.total:
            self.stdout.write("No token uses an older key any more: the old keys can be removed.")
