"""The packet's display: template context, SVG trend charts, HTML/PDF rendering and the PDF's file name."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string

from accounts.models import Organization
from audit import documents
from audit.checkpoints import latest_checkpoint
from audit.models import IssuedDocument
from core.charts import ChartPoint, Point, availability_chart, trend_chart
from core.checksum import checksum
from core.money import money
from core.pdf import html_to_pdf
from reviews.models import AnnualReview, ReviewPacket, Signature


def _parse(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _when(value: str | None, zone: str, fmt: str = "%-d %b %Y") -> str:
    at = _parse(value)
    return "" if at is None else at.astimezone(ZoneInfo(zone)).strftime(fmt)


def _day(value: str | None) -> str:
    return "" if not value else date.fromisoformat(value).strftime("%-d %b %Y")


def metric_chart(m: Mapping[str, Any], noun: str) -> str:
    n = len(m["points"])
    if m["metric"] == "availability":
        return availability_chart(
            [
                ChartPoint(label=p["short"], availability=None if p["value"] is None else Decimal(p["value"]))
                for p in m["points"]
            ],
            target=Decimal(m["target"]),
            title=f"Availability per {noun}, last {n} {noun}s, against the {m['target']} % target",
        )
    points = [
        Point(label=p["short"], value=None if p["value"] is None else Decimal(p["value"]), met=p["met"])
        for p in m["points"]
    ]
    if m["metric"] == "satisfaction":
        return trend_chart(
            points,
            title=f"Mean satisfaction per {noun} (1 to 5)",
            low=Decimal(0),
            high=Decimal(5),
            step=Decimal(1),
            places=2,
            missing_label="no ratings",
        )
    return trend_chart(
        points,
        title=f"{m['label']}: share of incidents within target per {noun}",
        low=Decimal(0),
        high=Decimal(100),
        step=Decimal(25),
        unit=" %",
        places=0,
        target=Decimal(100),
        target_label="target: all within time",
        missing_label="none decided",
    )


def packet_context(data: Mapping[str, Any], *, packet: Any = None) -> dict[str, Any]:
    """Display values for ``pdf/review_packet.html`` (and the review page's figures)."""
    c = data["contract"]
    zone = data["window"]["zone"]
    cur = c["currency"]
    noun = data["window"]["kind"]
    groups = []
    for g in data["metrics"]:
        rows = []
        for m in g["metrics"]:
            rows.append({**m, "chart_svg": metric_chart(m, noun)})
        groups.append({**g, "metrics": rows})
    credits = data["credits"]
    comp = data["compliance"]
    sat = data["satisfaction"]
    most = max([*sat["distribution"].values(), 1])
    reported = sum(1 for p in data["window"]["periods"] if p["reported"])
    review = data["review"]
    return {
        "d": data,
        "c": c,
        "packet": packet,
        "zone": zone,
        "noun": noun,
        "reported": reported,
        "periods_total": len(data["window"]["periods"]),
        "missing_periods": [p["title"] for p in data["window"]["periods"] if not p["reported"]],
        "metric_groups": groups,
        "binding_missed": [m for g in groups for m in g["metrics"] if m["binding"] and m["missed_periods"]],
        "breaches": [
            {**b, "severity_label": b["severity"].capitalize(), "environment_label": b["environment"].replace("_", "-")}
            for b in data["breaches"]
        ],
        "credits": {
            **credits,
            "rows": [{**r, "amount_text": money(r["amount"], cur)} for r in credits["rows"]],
            "total_text": money(credits["total"], cur),
            "applied_text": money(credits["applied"], cur),
            "owed_text": money(credits["owed"], cur),
            "disputed_text": money(credits["disputed"], cur),
        },
        "disputes": [
            {**d, "raised": _when(d["raised_at"], zone), "resolved": _when(d["resolved_at"], zone)}
            for d in data["disputes"]
        ],
        "compliance": {
            **comp,
            "on_time_notices": comp["notices"] - comp["late_notices"],
            "late": [
                {
                    **n,
                    "planned": _when(n["planned_at"], zone, "%-d %b %Y %H:%M"),
                    "announced": _when(n["announced_at"], zone),
                }
                for n in comp["late"]
            ],
            "non_compliant": [{**w, "from": _when(w["start"], zone, "%-d %b %Y %H:%M")} for w in comp["non_compliant"]],
        },
        "satisfaction": {
            **sat,
            "bars": [
                {"score": k, "count": v, "width": round(100 * v / most)} for k, v in sorted(sat["distribution"].items())
            ],
        },
        "incidents": data["incidents"],
        "other_remedies": data.get("other_remedies", []),  # packets frozen before remedies lack them
        "corrective": data.get("corrective", []),
        "feedback": data["feedback"],
        "amendments": [
            {**a, "effective": _when(a["effective_from"], zone, "%-d %b %Y %H:%M") + f" ({zone})"}
            for a in data["amendments"]
        ],
        "meeting": _when(review["meeting_date"], zone, "%-d %b %Y %H:%M") + f" ({zone})"
        if review["meeting_date"]
        else "",
        "anniversary": _day(review["anniversary"]),
        "term_end": _day(c["term_end"]),
        "notice_deadline": _day(c["notice_deadline"]),
        "start_date": _day(c["start_date"]),
        "termination_since": _day(c["termination_right_since"]),
        "fee_text": money(c["monthly_fee"], cur),
    }


def render_packet_html(
    data: Mapping[str, Any],
    *,
    version: int,
    generated_at: datetime,
    frozen: bool,
    signers: Sequence[Mapping[str, Any]] | None = None,
    packet_checksum: str = "",
) -> str:
    """``signers``: the signature page's rows (the signed record); by default the signatories, to sign."""
    signed = signers is not None
    rows = signers if signers is not None else [{"name": s["name"], "role": s["role"]} for s in data["signatories"]]
    return render_to_string(
        "pdf/review_packet.html",
        {
            **packet_context(data),
            "version": version,
            "frozen": frozen,
            "generated": generated_at.astimezone(UTC).strftime("%-d %b %Y %H:%M UTC"),
            "checkpoint": latest_checkpoint(),
            "signed": signed,
            "signers": rows,
            "packet_checksum": packet_checksum,
            "data_checksum": checksum(data),
            "verify_url": settings.SITE_URL.rstrip("/") + "/verify/",
        },
    )


def render_packet_pdf(data: Mapping[str, Any], *, version: int, generated_at: datetime, frozen: bool) -> bytes:
    """Seconds of WeasyPrint: never inside a transaction (``reviews.services.packets``). A frozen
    packet (the one put to signature) is issued signed by the portal and registered against its review."""
    content = html_to_pdf(render_packet_html(data, version=version, generated_at=generated_at, frozen=frozen))
    if not frozen:
        return content
    review = AnnualReview.objects.get(pk=data["review"]["id"])
    signed, _ = documents.issue(
        content,
        kind=IssuedDocument.Kind.REVIEW_PACKET,
        obj=review,
        contract_id=review.contract_id,
        reference=f"{data['contract']['reference']} · annual review {review.year} · packet v{version} (frozen)",
    )
    return signed


def signature_rows(packet: ReviewPacket) -> list[dict[str, Any]]:
    """The signature page of the signed record: each standing signature on ``packet``."""
    rows = []
    for sig in packet.signatures.filter(voided_at__isnull=True).select_related("user").order_by("at", "pk"):
        org_id = sig.user.primary_organization_id()
        rows.append(
            {
                "name": str(sig.user),
                "organization": _organization_name(org_id),
                "role": sig.role,
                "decision": Signature.Decision(sig.decision).label,
                "time": sig.at.astimezone(UTC).strftime("%-d %b %Y %H:%M:%S"),
                "method": sig.auth_method,
            }
        )
    return rows


def _organization_name(org_id: int | None) -> str:
    if org_id is None:
        return ""
    return Organization.objects.filter(pk=org_id).values_list("name", flat=True).first() or ""


def render_signed_packet_pdf(packet: ReviewPacket) -> bytes:
    """The frozen packet with its signature page filled in: who signed, from which organization, in
    which role, when and how they authenticated, and the checksum of the file they signed. Issued
    signed and registered. Seconds of WeasyPrint: no transaction open."""
    html = render_packet_html(
        packet.data,
        version=packet.version,
        generated_at=packet.generated_at,
        frozen=True,
        signers=signature_rows(packet),
        packet_checksum=packet.checksum,
    )
    review = packet.review
    signed, _ = documents.issue(
        html_to_pdf(html),
        kind=IssuedDocument.Kind.REVIEW_PACKET,
        obj=packet,
        contract_id=review.contract_id,
        reference=f"{packet.data['contract']['reference']} · annual review {review.year} · packet v{packet.version} signed",
    )
    return signed


def packet_filename(review: AnnualReview, version: int) -> str:
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", review.contract.reference).strip("-") or "contract"
    return f"{ref}-annual-review-{review.year}-packet-v{version}.pdf"
