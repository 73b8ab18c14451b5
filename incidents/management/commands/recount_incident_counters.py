from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from contracts import lock_objects
from contracts.models import Contract
from incidents import counters

BATCH = 200


class Command(BaseCommand):
    help = (
        "Rebuild the dashboards' per-contract incident counters from the incident rows, "
        "saying which contracts had drifted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contract", type=int, action="append", help="Only this contract id (repeatable).")
        parser.add_argument("--check", action="store_true", help="Only report drift; change nothing (exit 1 on drift).")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = options["contract"] or list(Contract.objects.order_by("pk").values_list("pk", flat=True))
        drifted: list[int] = []
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            # The contracts' locks are the ones every incident service takes
            # first, so no service applies a difference between count and write.
            with transaction.atomic():
                lock_objects.contracts(batch)
                fresh, stored = counters.fresh(batch), counters.stored(batch)
                drifted += sorted(pk for pk in set(fresh) | set(stored) if fresh.get(pk) != stored.get(pk))
                if not options["check"]:
                    counters.recount(batch)
        verb = "found drifted" if options["check"] else "repaired"
        self.stdout.write(f"{len(ids)} contracts checked; {len(drifted)} {verb}: {drifted[:20] or 'none'}")
        if options["check"] and drifted:
            raise SystemExit(1)
