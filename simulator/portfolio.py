"""Portfolio replay, for the buyer: one candidate term set replayed across
many contracts (all of one vendor's, or several vendors' side by side) to
compare vendors on the same yardstick.

Each contract is replayed over its own last periods (in its own zone) by the
simulator, with the candidate resolved per contract: a whole term set (a
preset, or an SLA version the buyer may see) replaces each contract's terms;
without one, the changes are applied to each contract's own terms in force.
Credits are compared as a share of the fees of the window, which does not
depend on the fee or the currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.models import Contract
from reports.snapshot_parts import dec, iso
from simulator.engine import TermSetResult, default_window, simulate
from simulator.terms import CandidateError, resolve_candidate

__all__ = ["MAX_CONTRACTS", "portfolio"]

MAX_CONTRACTS = 60


def _headline(ts: TermSetResult, fees: Decimal) -> dict[str, Any]:
    live = [p for p in ts.periods if p.in_force]
    measured = [p.availability for p in live if p.availability is not None]
    return {
        "breaches": ts.breaches,
        "missed": {k: ts.missed(kind=k) for k in ("acknowledge", "restore", "resolve")},
        "periods_below": sum(1 for p in live if p.below_target),
        "lowest_availability": dec(min(measured, default=None)),
        "credits": str(ts.credits_total),
        "credits_share": dec(ts.credits_total * 100 / fees, 2) if fees else None,
        "termination_periods": len(ts.termination_periods),
    }


def _row(contract: Contract, spec: Mapping[str, Any], *, now: datetime, count: int, versions: Any) -> dict[str, Any]:
    head = {
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "product": contract.product,
            "currency": contract.currency,
            "monthly_fee": dec(contract.monthly_fee, 2),
        },
        "vendor": {"id": contract.vendor_id, "name": contract.vendor.name},
    }
    try:
        candidate = resolve_candidate(contract, spec, now=now, versions=versions)
        window = default_window(contract, now=now, count=count)
        result = simulate(contract, [candidate], window, now=now)
    except CandidateError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return {**head, "error": f"{exc.message} {detail}".strip()}
    except ValueError as exc:
        return {**head, "error": str(exc)}
    months = sum(p.months for p in window)
    fees = contract.monthly_fee * months
    cand = result.candidates[0]
    changes = cand.changes or []
    return {
        **head,
        "window": f"{window[0].label} – {window[-1].label}",
        "fees": str(fees),
        "in_force": _headline(result.baseline, fees),
        "candidate": _headline(cand, fees),
        "changes": {
            "newly_breached": sum(1 for c in changes if c["direction"] == "newly_breached"),
            "no_longer_breached": sum(1 for c in changes if c["direction"] == "no_longer_breached"),
        },
        "error": None,
    }


def _vendor_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    vendors: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["error"]:
            continue
        v = vendors.setdefault(
            row["vendor"]["id"],
            {"vendor": row["vendor"]["name"], "contracts": 0, "fees": Decimal(0), "currencies": set()},
        )
        v["contracts"] += 1
        v["fees"] += Decimal(row["fees"])
        v["currencies"].add(row["contract"]["currency"])
        for side in ("in_force", "candidate"):
            t = v.setdefault(side, {"breaches": 0, "periods_below": 0, "termination_periods": 0, "credits": Decimal(0)})
            for key in ("breaches", "periods_below", "termination_periods"):
                t[key] += row[side][key]
            t["credits"] += Decimal(row[side]["credits"])
    out = []
    for v in sorted(vendors.values(), key=lambda v: v["vendor"]):
        one_currency = len(v["currencies"]) == 1
        for side in ("in_force", "candidate"):
            t = v[side]
            t["credits_share"] = dec(t["credits"] * 100 / v["fees"], 2) if v["fees"] and one_currency else None
            t["credits"] = str(t["credits"]) if one_currency else None
        out.append(
            {
                "vendor": v["vendor"],
                "contracts": v["contracts"],
                "currency": next(iter(v["currencies"])) if one_currency else None,
                "in_force": v["in_force"],
                "candidate": v["candidate"],
            }
        )
    return out


def portfolio(
    contracts: Iterable[Contract],
    spec: Mapping[str, Any],
    *,
    now: datetime,
    count: int = 12,
    versions: Any = None,
) -> dict[str, Any]:
    """The candidate described by ``spec`` (as for ``resolve_candidate``)
    replayed over each contract's last ``count`` periods. JSON-ready."""
    contracts = list(contracts)[:MAX_CONTRACTS]
    rows = [_row(c, spec, now=now, count=count, versions=versions) for c in contracts]
    label = (spec.get("label") or "").strip() or "Candidate terms"
    return {
        "schema": 1,
        "kind": "portfolio",
        "as_of": iso(now),
        "count": count,
        "candidate": {
            "label": label,
            "source": next((k for k in ("version", "preset", "terms") if spec.get(k) not in (None, "")), "in_force"),
            "changes": dict(spec.get("changes") or {}),
        },
        "rows": rows,
        "vendors": _vendor_totals(rows),
    }
