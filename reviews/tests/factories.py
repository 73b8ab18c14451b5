"""Builders for the annual review tests: a board with the three required
signatories, a year of frozen monthly reports, and a proposed amendment."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from accounts.tests.factories import UserFactory
from availability.models import ChangeNotice, MaintenanceWindow
from contracts import services as contract_services
from reports.services import close_period
from reports.tests.factories import add_incident, add_outage, at, downtime_for
from reviews.services import amendments, opening, packets, signatures

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # the reviews conftest's clock
ANNIVERSARY = date(2027, 1, 1)  # the factory contract starts on 1 Jan 2025
EFFECTIVE = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def seat_board(contract: Any, *, staff: Any, buyer: Any, vendor: Any) -> Any:
    """The buyer's contract manager and the vendor's account manager on the
    board, and an independent chair. Returns the chair."""
    chair = UserFactory(username="chair", first_name="Bianca", last_name="Board")
    contract_services.board_seat_add(actor=staff, contract=contract, user=chair, is_chair=True)
    contract_services.board_seat_add(actor=staff, contract=contract, user=buyer)
    contract_services.board_seat_add(actor=staff, contract=contract, user=vendor)
    contract.__dict__.pop("_board_user_ids", None)
    return chair


def year_of_reports(contract: Any, months: range = range(1, 11)) -> None:
    """Frozen monthly reports for 2026 (January to October by default), with
    an outage, incidents, maintenance and a late change notice in October."""
    for month in months:
        if month == 10:
            continue
        add_outage(contract, start=at(3, month=month), minutes=3 * month)
        close_period(contract=contract, period=f"2026-{month:02d}", now=NOW)
    if 10 in months:
        add_outage(contract, start=at(10), minutes=downtime_for("99.5"))
        add_incident(
            contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments API returns 502", satisfaction=2
        )
        add_incident(contract, opened_at=at(14, 9), severity="high", resolve_after=200, satisfaction=5)
        MaintenanceWindow.objects.create(
            contract=contract,
            title="Database upgrade",
            components=["api"],
            start=at(18, 1),
            end=at(18, 3),
            actual_end=at(18, 3, 40),
            announced_at=at(1),
        )
        ChangeNotice.objects.create(
            contract=contract,
            kind="major_release",
            title="Release 7.0",
            planned_at=at(22, 6),
            impact="New checkout flow",
            announced_at=at(15),
            required_notice_days=30,
            late=True,
        )
        close_period(contract=contract, period="2026-10", now=NOW)


def raised_target(contract: Any, percent: str = "99.99") -> dict[str, Any]:
    terms = copy.deepcopy(contract.sla_versions.get(number=1).terms)
    terms["uptime"]["target_percent"] = percent
    return terms


def open_review(contract: Any, actor: Any = opening.SYSTEM, **kwargs: Any) -> Any:
    return opening.review_open(actor=actor, contract=contract, anniversary=ANNIVERSARY, **kwargs)


def propose(review: Any, actor: Any, *, percent: str = "99.99", **kwargs: Any) -> Any:
    values = {
        "title": "Raise the availability target",
        "rationale": "Availability fell below 99.95 % in October; the payments API needs 99.99 %.",
        "effective_from": EFFECTIVE,
        "evidence": ["Service report 2026-10", "Incident INC-1"],
        "terms": raised_target(review.contract, percent),
        **kwargs,
    }
    return amendments.amendment_propose(actor=actor, review=review, **values)


def sign_all(review: Any, people: list[Any], *, ip: str = "192.0.2.10") -> None:
    for person in people:
        review.refresh_from_db()
        signatures.review_sign(
            actor=person,
            review=review,
            decision="approve",
            packet_checksum=packets.signing_packet(review).checksum,
            ip_address=ip,
        )
