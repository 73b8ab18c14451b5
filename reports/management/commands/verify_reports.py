from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.models import ServiceReport
from reports.services import verify_reports


class Command(BaseCommand):
    help = (
        "Recompute every service report's checksum from its stored snapshot and check each stored PDF "
        "against its SHA-256. Exits non-zero on any mismatch."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_reports()
        total = ServiceReport.objects.count()
        for line in problems:
            self.stderr.write(self.style.ERROR(line))
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {total} report(s).")
        self.stdout.write(self.style.SUCCESS(f"{total} report(s) verified: every checksum matches."))
