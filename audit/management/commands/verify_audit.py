from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.checkpoints import latest_checkpoint
from audit.services import Anchor, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain; exit non-zero naming the first altered, removed or reordered entry. "
        "--anchor checks it against a signed checkpoint held outside the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--anchor", help="A checkpoint as JSON, or a file holding it (from --export-anchor).")
        parser.add_argument(
            "--export-anchor", action="store_true", help="Print the latest signed checkpoint as JSON and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["export_anchor"]:
            checkpoint = latest_checkpoint()
            if checkpoint is None:
                raise CommandError("No checkpoint has been signed yet.")
            self.stdout.write(json.dumps(Anchor.of(checkpoint).as_dict()))
            return
        anchor = None
        if options["anchor"]:
            text = options["anchor"]
            path = Path(text)
            if not text.lstrip().startswith("{") and path.is_file():
                text = path.read_text()
            try:
                anchor = Anchor.parse(text)
            except ValueError as exc:
                raise CommandError(f"Bad --anchor: {exc}.") from None
        result = verify_chain(anchor=anchor)
        if not result.ok:
            raise CommandError(f"Audit chain broken: {result.reason} ({result.checked} entries verified before it).")
        against = f", matching the checkpoint at #{anchor.seq}" if anchor else ""
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} entries verified{against}."))
