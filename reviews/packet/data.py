"""The whole packet as one JSON-ready dict: the board's record, the contract, the window and every section."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contracts.models import BoardSeat, Contract
from contracts.pdf import termination_text
from corrective import services as corrective
from reports.models import Remedy, ServiceReport
from reviews.models import AnnualReview
from reviews.packet.amendments import amendment_rows
from reviews.packet.evidence import (
    _breaches,
    _compliance,
    _credits,
    _disputes,
    _incidents,
    _satisfaction,
    open_feedback,
)
from reviews.packet.metrics import _metrics
from reviews.packet.year import iso, reference_version, window

SCHEMA_VERSION = 1


def _signatory_rows(review: AnnualReview) -> list[dict[str, Any]]:
    return [
        {"name": str(s.user), "role": s.role, "required": s.required}
        for s in review.signatories.select_related("user").order_by("-required", "pk")
    ]


def review_section(review: AnnualReview) -> dict[str, Any]:
    """The board's record as the packet shows it (and as a signature on it attests)."""
    return {
        "id": review.pk,
        "year": review.year,
        "anniversary": iso(review.anniversary),
        "scheduled_for": iso(review.scheduled_for),
        "agenda": review.agenda,
        "meeting_date": iso(review.meeting_date),
        "minutes": review.minutes,
        "decisions": review.decisions,
        "recommendation": review.recommendation,
        "recommendation_label": review.get_recommendation_display() if review.recommendation else "",
        "recommendation_reasons": review.recommendation_reasons,
    }


def packet_data(review: AnnualReview) -> dict[str, Any]:
    contract = Contract.objects.select_related("buyer", "vendor").get(pk=review.contract_id)
    zone_guess = datetime.combine(review.anniversary, time(0), tzinfo=UTC)
    version = reference_version(contract, zone_guess - timedelta(days=1))
    terms = version.terms if version else {}
    span = window(contract, review.anniversary, version)
    start, end = span[0].start, span[-1].end
    labels = [p.label for p in span]
    reports = {
        r.period: r
        for r in ServiceReport.objects.current().filter(contract=contract, period__in=labels).order_by("period")
    }
    snaps = [(p, reports[p.label].snapshot if p.label in reports else None) for p in span]
    term = terms.get("termination")
    return {
        "schema": SCHEMA_VERSION,
        "review": review_section(review),
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "product": contract.product,
            "buyer": contract.buyer.name,
            "vendor": contract.vendor.name,
            "currency": contract.currency,
            "monthly_fee": str(contract.monthly_fee),
            "start_date": iso(contract.start_date),
            "term_end": iso(contract.term_end),
            "notice_deadline": iso(contract.notice_deadline),
            "notice_period_days": contract.notice_period_days,
            "auto_renew": contract.auto_renew,
            "termination_right": contract.termination_right,
            "termination_right_since": iso(contract.termination_right_since),
            "termination_rule": termination_text(term, terms["uptime"]["period"]) if term else "",
        },
        "window": {
            "kind": span[-1].kind,
            "zone": span[-1].zone,
            "start": iso(start),
            "end": iso(end),
            "title": f"{span[0].title} – {span[-1].title}",
            "periods": [
                {
                    "label": p.label,
                    "short": p.short,
                    "title": p.title,
                    "reported": p.label in reports,
                    "revision": reports[p.label].revision if p.label in reports else None,
                }
                for p in span
            ],
        },
        "sla": {
            "version": version.number if version else None,
            "availability_target": str(terms.get("uptime", {}).get("target_percent", "")),
        },
        "metrics": _metrics(terms, snaps) if version else [],
        "breaches": _breaches(snaps),
        "credits": _credits(contract, labels),
        "disputes": _disputes(contract, start, end),
        "other_remedies": [
            {
                "period": r.period,
                "kind": r.get_kind_display(),
                "description": r.description,
                "status": r.get_status_display(),
            }
            for r in Remedy.objects.filter(contract=contract, period__in=labels).order_by("period", "kind", "ref")
        ],
        "corrective": corrective.summary(
            corrective.plans_touching(contract, start, end),
            today=(end - timedelta(microseconds=1)).astimezone(ZoneInfo(span[-1].zone)).date(),
        ),
        "compliance": _compliance(snaps),
        "satisfaction": _satisfaction(snaps),
        "incidents": _incidents(contract, start, end),
        "feedback": open_feedback(contract, start, end),
        "amendments": amendment_rows(review),
        "board": [
            {"name": str(seat.user), "chair": seat.is_chair}
            for seat in BoardSeat.objects.filter(contract=contract).select_related("user")
        ],
        "signatories": _signatory_rows(review),
    }
