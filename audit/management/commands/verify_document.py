from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.documents import check


class Command(BaseCommand):
    help = "Check that a PDF was issued by this portal and is unchanged; exit non-zero saying why not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The PDF to check.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        result = check(path.read_bytes())
        if not result.valid:
            raise CommandError(f"Not valid: {result.reason}.")
        when = f" on {result.issued_at:%Y-%m-%d %H:%M} UTC" if result.issued_at else ""
        rotated = " (with a key since rotated)" if result.rotated else ""
        self.stdout.write(self.style.SUCCESS(f"Valid: issued by this portal{when}{rotated}, unchanged since."))
        if result.record is not None:
            row = result.record
            self.stdout.write(f"Record: {row.get_kind_display()} · {row.reference} (contract {row.contract_id}).")
        else:
            self.stdout.write("Record: not in this portal's register (signed by our key; the register has no entry).")
