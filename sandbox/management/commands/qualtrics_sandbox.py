"""`python manage.py qualtrics_sandbox`: run the local Qualtrics API sandbox until Ctrl-C or SIGTERM."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sandbox import cli


class Command(BaseCommand):
    help = "Serve a local Qualtrics API v3 sandbox (state in memory) and print its URLs and tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cli.run(options, out=self.stdout)
