"""Opening a review: by hand (the chair or the buyer's contract managers),
or by the daily beat ahead of each contract's anniversary; packet v1 is
rendered once the review is open (``packets.publish``)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from contracts import lock_objects
from contracts.models import Contract
from core.actor import Actor
from core.errors import Conflict
from reviews.models import AnnualReview, ReviewPacket
from reviews.services import packets
from reviews.services._common import SYSTEM, S, board_users, may_lead, person, require, tell
from reviews.services.board import sync_signatories

log = logging.getLogger(__name__)
REVIEW_FIELDS = ["contract", "year", "anniversary", "scheduled_for", "status"]


def lead_days() -> int:
    """How many days before the anniversary the review opens (``COVENANT_REVIEW_LEAD_DAYS``)."""
    return int(getattr(settings, "COVENANT_REVIEW_LEAD_DAYS", 30))


# -- anniversaries ---------------------------------------------------------------------------


def anniversary_in(start: date, year: int) -> date:
    """The contract's anniversary in ``year`` (28 Feb for a 29 Feb start in a common year)."""
    try:
        return start.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def due_anniversary(contract: Contract, today: date, *, lead: int | None = None) -> date | None:
    """The anniversary whose review should be open by ``today``: at most
    ``lead`` days ahead. One that passed at most ``lead`` days ago still
    counts (the runs around it were missed: caught up), an older one does
    not; nor one before the contract's first anniversary or after the day
    its term ends."""
    lead = lead_days() if lead is None else lead
    horizon = today + timedelta(days=lead)
    candidate = anniversary_in(contract.start_date, horizon.year)
    if candidate > horizon:
        candidate = anniversary_in(contract.start_date, horizon.year - 1)
    if candidate < today - timedelta(days=lead):
        return None
    if candidate <= contract.start_date or candidate > contract.term_end + timedelta(days=1):
        return None
    return candidate


def next_anniversary(contract: Contract, today: date) -> date | None:
    """The first anniversary on or after ``today`` (for opening a review by hand)."""
    for year in (today.year, today.year + 1):
        candidate = anniversary_in(contract.start_date, year)
        if candidate >= today and candidate > contract.start_date:
            return candidate if candidate <= contract.term_end + timedelta(days=1) else None
    return None


# -- open -----------------------------------------------------------------------------------------------


def review_open(
    *,
    actor: Actor,
    contract: Contract,
    anniversary: date | None = None,
    now: datetime | None = None,
    generate_packet: bool = True,
) -> AnnualReview:
    """Open the review for ``anniversary`` (default: the next one), compute
    its signatories from the board and notify the board; then (after that
    commits) render packet v1."""
    now = now or timezone.now()
    if person(actor):
        require(
            may_lead(actor, contract), "Only the board's chair and the buyer's contract managers may open a review."
        )
    if contract.status != Contract.Status.ACTIVE:
        raise Conflict(
            f"Contract {contract.reference} is {contract.get_status_display().lower()}: only active contracts are reviewed.",
            state=contract.status,
        )
    anniversary = anniversary or next_anniversary(contract, timezone.localdate(now))
    if anniversary is None:
        raise Conflict(f"Contract {contract.reference} has no anniversary left in its term.", state=contract.status)
    try:
        with transaction.atomic():
            lock_objects.contract(contract.pk)  # the first lock (core.locks)
            review = AnnualReview.objects.create(
                contract=contract,
                year=anniversary.year,
                anniversary=anniversary,
                scheduled_for=anniversary,
                opened_at=now,
                opened_by=person(actor),
                agenda=default_agenda(contract),
            )
            audit.record(
                actor=actor,
                verb="annual_review.opened",
                obj=review,
                contract_id=contract.pk,
                changes=audit.created(review, REVIEW_FIELDS),
            )
            missing = sync_signatories(review)
            tell(
                board_users(review),
                review,
                event="review.opened",
                title=f"Annual review {review.year} of {contract.reference} is open",
                body=(
                    f"The board reviews {contract.reference} ({contract.product}) for the anniversary on "
                    f"{anniversary:%-d %b %Y}. Read the packet, propose amendments and comment in Covenant."
                    + (f"\nThe board still lacks {', '.join(missing)} to sign." if missing else "")
                ),
            )
    except IntegrityError:
        raise Conflict(
            f"The annual review of {contract.reference} for {anniversary:%-d %b %Y} is already open.", state="open"
        ) from None
    if generate_packet:
        draft_packet(review, actor=actor, now=now)
    return review


def draft_packet(
    review: AnnualReview, *, actor: Actor, now: datetime, progress: packets.Progress | None = None
) -> ReviewPacket | None:
    """Render and store a draft packet unless the review has moved on to signing."""
    return packets.publish(
        review,
        actor=actor,
        frozen=False,
        now=now,
        admit=lambda locked: locked.status in (S.PREPARING, S.IN_REVIEW),
        progress=progress,
    )


def default_agenda(contract: Contract) -> str:
    return "\n".join(
        [
            "1. The year in figures: availability, incident targets, satisfaction",
            "2. Breaches, credits and disputes",
            "3. Change-notice and maintenance compliance",
            "4. Open feedback items",
            "5. Proposed SLA amendments",
            f"6. Renewal recommendation (notice deadline {contract.notice_deadline:%-d %b %Y})",
        ]
    )


def open_due_reviews(*, now: datetime | None = None, lead: int | None = None) -> list[AnnualReview]:
    """Open the review of each active contract whose anniversary is at most
    ``lead`` days ahead (``COVENANT_REVIEW_LEAD_DAYS``), once: an existing
    review, or one opened concurrently (the unique constraint), is skipped.
    A packet that fails to render is logged (the board regenerates it from
    the review) and does not stop the other contracts' reviews."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    contracts = list(Contract.objects.active().select_related("buyer", "vendor").order_by("pk"))
    due = {c.pk: due_anniversary(c, today, lead=lead) for c in contracts}
    existing = set(
        AnnualReview.objects.filter(contract_id__in=[pk for pk, a in due.items() if a]).values_list(
            "contract_id", "anniversary"
        )
    )
    opened = []
    for contract in contracts:
        anniversary = due[contract.pk]
        if anniversary is None or (contract.pk, anniversary) in existing:
            continue
        try:
            review = review_open(
                actor=SYSTEM, contract=contract, anniversary=anniversary, now=now, generate_packet=False
            )
        except Conflict:
            continue  # opened by a concurrent run
        opened.append(review)
        try:
            draft_packet(review, actor=SYSTEM, now=now)
        except Exception:
            log.exception("annual review %s: packet v1 could not be rendered", review.pk)
    return opened


__all__ = [
    "SYSTEM",
    "anniversary_in",
    "default_agenda",
    "draft_packet",
    "due_anniversary",
    "lead_days",
    "next_anniversary",
    "open_due_reviews",
    "review_open",
]
