"""Scale data for benchmarks and capacity checks (see demo/scale.py for what is
bulk-written and what goes through the services)."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo import scale


class Command(BaseCommand):
    help = (
        "Generate contracts, incidents (clocks by the real engine), outages and closed reports. "
        "--size small|200k|2m, or --contracts/--incidents. PostgreSQL: COPY; SQLite: bulk inserts."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--size", choices=sorted(scale.SIZES), default="small")
        parser.add_argument("--contracts", type=int, help="Contracts (overrides --size).")
        parser.add_argument("--incidents", type=int, help="Incidents across all contracts (overrides --size).")
        parser.add_argument("--months", type=int, default=12, help="Months of history, ending now.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; also names the generated rows.")
        parser.add_argument("--close-contracts", type=int, help="Contracts whose months are closed for real.")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="Processes computing incident clocks."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size = scale.SIZES[options["size"]]
        pick = {k: options[k] if options[k] is not None else getattr(size, k) for k in ("contracts", "incidents")}
        close = options["close_contracts"] if options["close_contracts"] is not None else size.close_contracts
        started = time.perf_counter()
        try:
            result = scale.generate(
                **pick,
                months=options["months"],
                seed=options["seed"],
                close_contracts=close,
                workers=options["workers"],
                progress=lambda line: self.stdout.write(f"  {line}"),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{v:,} {k}" for k, v in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated {summary} in {elapsed:.1f} s."))
