"""Builders for the ledger and dispute tests: reports and credits made
directly (without the close pipeline), and a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from incidents.tests.conftest import FrozenClock
from reports.models import Credit, ServiceReport

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # two days after February 2026 ended


def freeze(monkeypatch: Any, start: datetime = T0) -> FrozenClock:
    frozen = FrozenClock(start)
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen


def month_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = (int(x) for x in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def make_report(contract: Any, period: str = "2026-02", *, revision: int = 1, **fields: Any) -> ServiceReport:
    start, end = month_bounds(period)
    values: dict[str, Any] = {
        "contract": contract,
        "period": period,
        "period_start": start,
        "period_end": end,
        "revision": revision,
        "snapshot": {"period": {"label": period}},
        "checksum": "0" * 64,
        "availability": Decimal("99.200"),
        "availability_met": False,
        "breaches": 1,
        "credit_total": Decimal("500.00"),
        "currency": contract.currency,
        **fields,
    }
    return ServiceReport.objects.create(**values)


def make_credit(
    report: ServiceReport,
    *,
    amount: str = "500.00",
    status: str = Credit.Status.CALCULATED,
    window_days: int = 30,
    description: str = "Availability 99.200 % below 99.95 %: 5 % of the monthly fee",
    **fields: Any,
) -> Credit:
    values: dict[str, Any] = {
        "contract": report.contract,
        "report": report,
        "kind": Credit.Kind.AVAILABILITY,
        "ref": "availability",
        "description": description,
        "percent": Decimal("5"),
        "amount": Decimal(amount),
        "currency": report.currency,
        "status": status,
        "claim_deadline": report.period_end + timedelta(days=window_days),
        **fields,
    }
    return Credit.objects.create(**values)
