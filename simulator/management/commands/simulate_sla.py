"""Replay a contract's history under candidate terms and print the comparison.

    python manage.py simulate_sla --contract REF --terms FILE.json [--window 12] [--last 2026-10] [--json]

FILE.json holds a whole terms document, one candidate (``{"label": ...,
"changes": {...}}`` or with ``version`` / ``amendment`` / ``preset``), a list
of candidates, or whole simulation inputs (``{"candidates": [...],
"sensitivity": {...}}``). Nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from contracts.models import Contract
from core.errors import InvalidInput
from simulator import services as simulations
from simulator.present import contract_context


def _inputs(data: Any, window: int, last: str | None) -> dict[str, Any]:
    if isinstance(data, list):
        inputs: dict[str, Any] = {"candidates": data}
    elif isinstance(data, dict) and "candidates" in data:
        inputs = dict(data)
    elif isinstance(data, dict) and "targets" in data and "uptime" in data:
        inputs = {"candidates": [{"label": "Terms from file", "terms": data}]}
    elif isinstance(data, dict):
        inputs = {"candidates": [data]}
    else:
        raise CommandError("The file holds a terms document, a candidate, a list of candidates or simulation inputs.")
    inputs["window"] = {**(inputs.get("window") or {}), "periods": window, **({"last": last} if last else {})}
    return inputs


class Command(BaseCommand):
    help = "Replay a contract's history under candidate SLA terms and print the comparison (writes nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--contract", required=True, help="Contract reference.")
        parser.add_argument("--terms", required=True, help="JSON file: terms, a candidate, candidates or inputs.")
        parser.add_argument("--window", type=int, default=12, help="Number of periods (default 12).")
        parser.add_argument("--last", help="Last period of the window (default: the last ended one).")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON instead of a table.")

    def handle(self, *args: Any, contract: str, terms: str, window: int, **options: Any) -> None:
        found = Contract.objects.filter(reference=contract).select_related("buyer", "vendor").first()
        if found is None:
            raise CommandError(f"No contract with reference {contract!r}.")
        try:
            data = json.loads(Path(terms).read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {terms}: {exc}") from None
        try:
            results = simulations.run(contract=found, inputs=_inputs(data, window, options.get("last")))
        except InvalidInput as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))
            return
        self._table(results)

    def _table(self, results: dict[str, Any]) -> None:
        ctx = contract_context(results)
        w = results["window"]
        self.stdout.write(
            f"{results['contract']['reference']}: {w['first']} to {w['last']} ({len(w['periods'])} {w['kind']}s)"
        )
        for note in results["notes"]:
            self.stdout.write(f"  note: {note}")
        heads = [c["label"] for c in ctx["columns"]]
        rows = [
            (row["label"], [c["text"] + (f" ({c['delta']})" if c["delta"] else "") for c in row["cells"]])
            for row in ctx["outcome_rows"]
        ]
        rows += [(row["label"], row["cells"]) for row in ctx["terms_rows"] if row["differs"]]
        first = max(len(label) for label, _ in rows)
        widths = [max(len(h), *(len(cells[i]) for _, cells in rows)) for i, h in enumerate(heads)]
        self.stdout.write("")
        self.stdout.write(" " * first + " | " + " | ".join(h.rjust(wd) for h, wd in zip(heads, widths, strict=True)))
        self.stdout.write("-" * first + "-+-" + "-+-".join("-" * wd for wd in widths))
        for label, cells in rows:
            self.stdout.write(
                label.ljust(first) + " | " + " | ".join(c.rjust(wd) for c, wd in zip(cells, widths, strict=True))
            )
        self.stdout.write("")
        self.stdout.write("Per period (availability / breaches / credits after the cap; T: termination right):")
        for row in ctx["period_rows"]:
            cells = [
                f"{c['availability']} / {c['breaches']} / {c['credits']}{' T' if c['termination'] else ''}"
                if c["in_force"]
                else "no SLA"
                for c in row["cells"]
            ]
            self.stdout.write(f"  {row['label']}: " + " | ".join(cells))
        for ch in ctx["changes"]:
            self.stdout.write("")
            self.stdout.write(f"Incidents whose outcome changes under {ch['label']}: {ch['total']}")
            for c in ch["rows"][:20]:
                self.stdout.write(
                    f"  {c['ref']} {c['severity']} {c['opened']}: {c['before_text']} -> {c['after_text']}"
                )
            if ch["total"] > 20:
                self.stdout.write(f"  ... {ch['total'] - 20} more (use --json)")
        sweep = results.get("sensitivity")
        if sweep:
            self.stdout.write("")
            self.stdout.write(f"Sensitivity of {sweep['label']} ({sweep['unit']}): {sweep['measure']}, credits")
            for p in sweep["points"]:
                self.stdout.write(f"  {p['value']:>9}: {p['measure']:>5}  {p['credits']}")
