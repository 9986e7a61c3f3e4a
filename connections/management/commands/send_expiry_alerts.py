"""Run the daily expiry check now: every connection whose token is inside its notice window (or past)
gets its alert, once per expiration date, as the 06:00 UTC sweep would send it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from connections.models import Connection
from connections.selectors import connections_due_for_expiry_check
from connections.services import connection_expiry_alert_now


class Command(BaseCommand):
    help = "Send the expiry alerts that are due now (each goes out once per expiration date)."

    def add_arguments(self, parser):
        parser.add_argument("--connection", type=int, help="Only this connection (its id).")

    def handle(self, *args, connection=None, **options):
        ids = [connection] if connection else connections_due_for_expiry_check()
        sent = 0
        for item in Connection.objects.filter(pk__in=ids).select_related("owner").order_by("pk"):
            was_sent, text = connection_expiry_alert_now(connection=item)
            sent += was_sent
            self.stdout.write(f"{item.name} (#{item.pk}): {text}")
        self.stdout.write(self.style.SUCCESS(f"{sent} alert(s) sent."))
