"""Sensitivity: sweep one target over a range of values and see where the
cliff is.

The history is read once; every point is the simulator's replay of a term
set that differs from the base only in the swept value, so the points share
the memo tables (an incident target under a given length is judged once).
A target sweep counts the targets of that row missed; an uptime sweep counts
the periods below target, with the credit tiers following the target (the
top tier starts paying just below whatever target is in force).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from contracts.models import Contract
from contracts.terms import ENVIRONMENTS, SEVERITIES, TARGETS
from core import periods
from simulator.engine import EXCLUDED, Replay, judge_term_set, simulate
from simulator.replay import Candidate, InForce
from simulator.terms import CandidateTerms, shift_tiers_to_target

__all__ = ["MAX_POINTS", "Sweep", "SweepPoint", "parameter_choices", "sweep", "sweep_chart", "sweep_values"]

MAX_POINTS = 100
UPTIME = "uptime_target"
ENV_WORDS = {"production": "production", "non_production": "non-production"}


@dataclass(frozen=True)
class SweepPoint:
    value: Decimal
    measure: int  # targets missed (a target sweep) or periods below target (uptime)
    breaches: int  # incidents with any target missed
    credits: Decimal  # after the cap, over the window
    termination: int  # periods that would have triggered the termination right


@dataclass(frozen=True)
class Sweep:
    parameter: str
    label: str
    unit: str
    measure_label: str
    base_label: str
    current: Decimal | None  # the base's own value
    currency: str
    points: list[SweepPoint]

    @property
    def cliff(self) -> tuple[SweepPoint, SweepPoint] | None:
        """The neighbouring points between which the measure jumps most."""
        pairs = [(a, b) for a, b in zip(self.points, self.points[1:], strict=False) if a.measure != b.measure]
        return max(pairs, key=lambda ab: abs(ab[1].measure - ab[0].measure), default=None)

    def as_json(self) -> dict[str, Any]:
        cliff = self.cliff
        return {
            "parameter": self.parameter,
            "label": self.label,
            "unit": self.unit,
            "measure": self.measure_label,
            "base": self.base_label,
            "current": None if self.current is None else str(self.current),
            "currency": self.currency,
            "points": [
                {
                    "value": str(p.value),
                    "measure": p.measure,
                    "breaches": p.breaches,
                    "credits": str(p.credits),
                    "termination": p.termination,
                }
                for p in self.points
            ],
            "cliff": None if cliff is None else [str(cliff[0].value), str(cliff[1].value)],
        }


def parameter_label(parameter: str) -> tuple[str, str]:
    """(label, unit) of a parameter key: "target:critical:production:acknowledge" or "uptime_target"."""
    if parameter == UPTIME:
        return "Uptime target", "%"
    _, sev, env, kind = parameter.split(":")
    return f"{sev.capitalize()} / {ENV_WORDS[env]}: time to {kind}", "min"


def parameter_choices(terms: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = {(r["severity"], r["environment"]) for r in terms["targets"]}
    out = [(UPTIME, "Uptime target (%)")]
    for sev in SEVERITIES:
        for env in ENVIRONMENTS:
            if (sev, env) in rows:
                for kind in TARGETS:
                    key = f"target:{sev}:{env}:{kind}"
                    out.append((key, f"{parameter_label(key)[0]} (minutes)"))
    return out


def _check(parameter: str, terms: Mapping[str, Any]) -> tuple[str, str, str] | None:
    if parameter == UPTIME:
        return None
    parts = parameter.split(":")
    if len(parts) != 4 or parts[0] != "target" or parts[3] not in TARGETS:
        raise ValueError(f"Unknown parameter {parameter!r}: use 'uptime_target' or 'target:<severity>:<env>:<kind>'.")
    if not any((r["severity"], r["environment"]) == (parts[1], parts[2]) for r in terms["targets"]):
        raise ValueError(f"The terms have no {parts[1]} / {parts[2]} row to sweep.")
    return parts[1], parts[2], parts[3]


def current_value(parameter: str, terms: Mapping[str, Any]) -> Decimal:
    cell = _check(parameter, terms)
    if cell is None:
        return Decimal(terms["uptime"]["target_percent"])
    row = next(r for r in terms["targets"] if (r["severity"], r["environment"]) == cell[:2])
    return Decimal(row[f"{cell[2]}_minutes"])


def sweep_values(start: Decimal, stop: Decimal, steps: int, *, integer: bool) -> list[Decimal]:
    """``steps`` evenly spaced values from start to stop (whole minutes for a
    target, 0.001 % for the uptime), without repeats."""
    steps = max(2, min(int(steps), MAX_POINTS))
    quantum = Decimal(1) if integer else Decimal("0.001")
    out: list[Decimal] = []
    for i in range(steps):
        value = (start + (stop - start) * Decimal(i) / Decimal(steps - 1)).quantize(quantum, rounding=ROUND_HALF_UP)
        if integer:
            value = max(value, Decimal(1))
        if value not in out:
            out.append(value)
    return sorted(out)


def _variant(base: Mapping[str, Any], parameter: str, value: Decimal) -> dict[str, Any]:
    doc = copy.deepcopy(dict(base))
    cell = _check(parameter, doc)
    if cell is None:
        old = Decimal(doc["uptime"]["target_percent"])
        doc["credit_tiers"] = shift_tiers_to_target(doc["credit_tiers"], old, value)
        doc["uptime"]["target_percent"] = str(value)
    else:
        row = next(r for r in doc["targets"] if (r["severity"], r["environment"]) == cell[:2])
        row[f"{cell[2]}_minutes"] = int(value)  # not re-validated: a sweep may pass the restore target
    return doc


def sweep(
    contract: Contract,
    base: CandidateTerms,
    parameter: str,
    values: Sequence[Decimal],
    window: Sequence[periods.Period],
    *,
    now: datetime,
    replay: Replay | None = None,
) -> Sweep:
    """Replay ``base`` with ``parameter`` set to each of ``values``."""
    if not values or len(values) > MAX_POINTS:
        raise ValueError(f"Sweep 1 to {MAX_POINTS} values.")
    cell = _check(parameter, base.terms)
    if replay is None:
        replay = simulate(contract, [base], window, now=now).replay
    assert replay is not None
    in_force = InForce(replay.history.versions)
    cells = {i.pk: (i.severity, i.environment) for i in replay.history.incidents}
    points = []
    for value in values:
        variant = CandidateTerms(label=str(value), terms=_variant(base.terms, parameter, value), source="sweep")
        ts = judge_term_set(replay, Candidate(variant, in_force, "sweep"), window)
        if cell is None:
            measure = sum(1 for p in ts.periods if p.below_target)
        else:
            measure = sum(
                1
                for p in ts.periods
                for pk, o in p.outcomes.items()
                if o != EXCLUDED and cell[2] in o and cells[pk] == cell[:2]
            )
        points.append(
            SweepPoint(
                value=value,
                measure=measure,
                breaches=ts.breaches,
                credits=ts.credits_total,
                termination=len(ts.termination_periods),
            )
        )
    label, unit = parameter_label(parameter)
    return Sweep(
        parameter=parameter,
        label=label,
        unit=unit,
        measure_label="Periods below target" if cell is None else f"{label.split(':')[0]} {cell[2]} targets missed",
        base_label=base.label,
        current=current_value(parameter, base.terms),
        currency=contract.currency,
        points=points,
    )


# -- the chart -------------------------------------------------------------------------------

INK, MUTED, GRID, LINE, MONEY, MARK = "#0f2740", "#6b7280", "#e5e7eb", "#b3261e", "#1d4ed8", "#0f2740"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def _step(span: float, most: int) -> float:
    """The smallest 1 / 2 / 2.5 / 5 x 10^k step that cuts ``span`` into at most ``most`` parts."""
    scale = 10.0 ** math.floor(math.log10(span / most)) if span > 0 else 1.0
    for factor in (1, 2, 2.5, 5, 10):
        if span / (factor * scale) <= most:
            return factor * scale
    return 10 * scale


def axis(top: float) -> tuple[float, float]:
    """(axis top, tick step): round numbers at or above ``top``, whole ones for counts."""
    step = max(_step(top, 4), 1.0) if top > 0 else 1.0
    return max(math.ceil(top / step), 1) * step, step


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:,.1f}"


def sweep_chart(data: Mapping[str, Any], *, width: int = 720, height: int = 330) -> str:
    """Two panels over the swept value: the measure (a step line) above, the
    credits below, a dashed marker at the base's own value and the cliff
    shaded. ``data`` is ``Sweep.as_json()``; returns an <svg> element."""
    pts = data["points"]
    xs = [float(p["value"]) for p in pts]
    left, right, top, gap, bottom = 64, 16, 28, 46, 44
    panel = (height - top - gap - bottom) / 2
    lo, hi = min(xs), max(xs)
    span = hi - lo or 1.0

    def x(v: float) -> float:
        return left + (v - lo) / span * (width - left - right)

    title = f"{data['measure']} and credits against {data['label'].lower()}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label={quoteattr(title)} font-family={quoteattr(FONT)} class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    cliff = data.get("cliff")
    if cliff:
        a, b = x(float(cliff[0])), x(float(cliff[1]))
        out.append(
            f'<rect x="{min(a, b):.1f}" y="{top}" width="{max(abs(b - a), 2):.1f}" height="{height - top - bottom:.1f}" '
            f'fill="#fde68a" fill-opacity="0.55"/>'
        )
    series = [
        (data["measure"], [float(p["measure"]) for p in pts], LINE, top, False),
        (f"Credits after cap ({data['currency']})", [float(p["credits"]) for p in pts], MONEY, top + panel + gap, True),
    ]
    for name, ys, colour, y0, money in series:
        ymax, ystep = axis(max(ys))

        def y(v: float, y0: float = y0, ymax: float = ymax) -> float:
            return y0 + panel - v / ymax * panel

        out.append(
            f'<text x="{left}" y="{y0 - 8}" font-size="11" font-weight="bold" fill="{colour}">{escape(name)}</text>'
        )
        for i in range(round(ymax / ystep) + 1):
            tick = ystep * i
            out.append(
                f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" stroke="{GRID}"/>'
            )
            out.append(
                f'<text x="{left - 6}" y="{y(tick) + 3.5:.1f}" font-size="9.5" fill="{MUTED}" text-anchor="end">'
                f"{_fmt(tick)}</text>"
            )
        path = []
        for i, (vx, vy) in enumerate(zip(xs, ys, strict=True)):
            if i and not money:  # counts change in steps
                path.append(f"L{x(vx):.1f},{y(ys[i - 1]):.1f}")
            path.append(f"{'M' if i == 0 else 'L'}{x(vx):.1f},{y(vy):.1f}")
        out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for vx, vy in zip(xs, ys, strict=True):
            out.append(f'<circle cx="{x(vx):.1f}" cy="{y(vy):.1f}" r="2.4" fill="{colour}"/>')
    axis_y = height - bottom
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="{MUTED}"/>')
    step = _step(span, 6)
    tick = math.ceil(lo / step - 1e-9) * step
    while tick <= hi + 1e-9:
        label = f"{tick:.3f}".rstrip("0").rstrip(".") if data["unit"] == "%" else f"{tick:.0f}"
        out.append(f'<line x1="{x(tick):.1f}" y1="{axis_y}" x2="{x(tick):.1f}" y2="{axis_y + 4}" stroke="{MUTED}"/>')
        out.append(
            f'<text x="{x(tick):.1f}" y="{axis_y + 15}" font-size="9.5" fill="{INK}" text-anchor="middle">{escape(label)}</text>'
        )
        tick += step
    out.append(
        f'<text x="{(left + width - right) / 2:.1f}" y="{height - 8}" font-size="10.5" fill="{INK}" text-anchor="middle">'
        f"{escape(data['label'])} ({escape(data['unit'])})</text>"
    )
    if data.get("current") is not None and lo <= float(data["current"]) <= hi:
        cx = x(float(data["current"]))
        out.append(
            f'<line x1="{cx:.1f}" y1="{top - 4}" x2="{cx:.1f}" y2="{axis_y}" stroke="{MARK}" stroke-width="1.5" '
            f'stroke-dasharray="5 3"/>'
        )
        right_half = cx > (left + width - right) / 2
        out.append(
            f'<text x="{cx + (-4 if right_half else 4):.1f}" y="{top + gap / 2 + panel:.1f}" font-size="9.5" '
            f'fill="{MARK}" font-weight="bold" text-anchor="{"end" if right_half else "start"}">'
            f"{escape(data['base'])}: {escape(data['current'])} {escape(data['unit'])}</text>"
        )
    out.append("</svg>")
    return "".join(out)
