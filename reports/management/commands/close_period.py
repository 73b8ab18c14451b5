"""Close one period for every active contract (or one contract) now, with
the same stages as the Celery task: compute and freeze, render and store the
PDF, deliver to both parties."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from contracts.models import Contract
from core.errors import DomainError
from reports.models import PeriodClose
from reports.services.reports import _period, _require_ended, close_row, current_report
from reports.tasks import release, run_close


class Command(BaseCommand):
    help = "Close a measurement period: python manage.py close_period --period 2026-10 [--contract REF]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM (monthly terms) or YYYY-Qn (quarterly terms).")
        parser.add_argument("--contract", help="Only this contract reference (any status).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, period: str, contract: str | None = None, **options: Any) -> None:
        if contract:
            contracts = list(Contract.objects.filter(reference=contract).select_related("buyer", "vendor"))
            if not contracts:
                raise CommandError(f"No contract with reference {contract!r}.")
        else:
            contracts = list(Contract.objects.active().select_related("buyer", "vendor").order_by("reference"))
        now = timezone.now()
        closed, already, failed = 0, 0, []
        bar = tqdm(contracts, desc=f"Closing {period}", unit="contract", disable=options["no_progress"])
        for c in bar:
            row = None
            try:
                p = _period(c, period)
                _require_ended(p, now)
                existing = current_report(c, p.label)
                row = close_row(c, p)
                if existing is not None and row.state == PeriodClose.State.DELIVERED:
                    already += 1
                    continue
                run_close(row.pk, now=now, revive=True)
                if existing is None:
                    closed += 1
                else:
                    already += 1  # the report existed; its PDF or delivery was completed now
            except DomainError as exc:
                failed.append((c.reference, exc.message))
            except Exception as exc:  # keep going: one contract's failure must not stop the rest
                if row is not None:
                    release(row.pk, exc, final=False)
                failed.append((c.reference, f"{type(exc).__name__}: {exc}"))
        bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"Period {period}: {closed} closed, {already} already closed, {len(failed)} failed.")
        )
        for reference, reason in failed:
            self.stderr.write(f"  {reference}: {reason}")
        if failed and not (closed or already):
            raise CommandError("Nothing was closed.")
