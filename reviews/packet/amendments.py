"""The packet's amendments section: terms diffs as the board reads them and the fingerprint a signature covers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from contracts.diffing import MISSING, diff_terms, label_for
from contracts.pdf import human_minutes
from contracts.terms import SCHEMA
from core.checksum import checksum
from reviews.models import Amendment, AnnualReview
from reviews.packet.year import iso


def show(path: str, value: Any) -> str:
    """A terms value as the board reads it (the contracts diff page's wording)."""
    if value is MISSING:
        return "—"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, int) and path.endswith("_minutes"):
        return f"{value} min ({human_minutes(value)})"
    return str(value)


def _rank(path: str) -> int:
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    order = SCHEMA["required"]
    return order.index(top) if top in order else len(order)


def diff_rows(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, str]]:
    changes = sorted(diff_terms(dict(before), dict(after)), key=lambda row: _rank(row[0]))
    return [{"label": label_for(p), "path": p, "before": show(p, a), "after": show(p, b)} for p, a, b in changes]


def amendment_rows(review: AnnualReview) -> list[dict[str, Any]]:
    out = []
    for a in review.amendments.filter(status="proposed").select_related(
        "sla_version", "sla_version__based_on", "proposed_by"
    ):
        v = a.sla_version
        base = v.based_on
        out.append(
            {
                "id": a.pk,
                "title": a.title,
                "rationale": a.rationale,
                "evidence": list(a.evidence or []),
                "effective_from": iso(a.effective_from),
                "proposed_by": str(a.proposed_by) if a.proposed_by else "",
                "version": v.number,
                "based_on": base.number if base else None,
                "rows": diff_rows(base.terms if base else {}, v.terms),
            }
        )
    return out


def amendments_fingerprint(review: AnnualReview, *, amendments: Iterable[Amendment] | None = None) -> str:
    """What the board signs about the amendments: their wording, dates and
    the draft terms. A change to any of them after a signature voids it.
    ``amendments``: every amendment of the review, already loaded with its
    ``sla_version`` (a page that lists them), instead of reading them again."""
    if amendments is None:
        proposed = list(review.amendments.filter(status="proposed").select_related("sla_version").order_by("pk"))
    else:
        proposed = sorted((a for a in amendments if a.status == "proposed"), key=lambda a: a.pk)
    return checksum(
        [
            {
                "id": a.pk,
                "title": a.title,
                "rationale": a.rationale,
                "evidence": a.evidence,
                "effective_from": iso(a.effective_from),
                "version": a.sla_version_id,
                "terms": a.sla_version.terms,
            }
            for a in proposed
        ]
    )
