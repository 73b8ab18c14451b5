"""The review packet: rendered outside every transaction, stored in a short one.

WeasyPrint takes seconds. ``audit.record`` locks the audit chain's head,
which every audited write in the portal shares (and on SQLite any write
transaction holds the database's one write lock), so a packet rendered
inside a use case's transaction would make every other write wait for it.
Instead:

1. ``render`` reads the packet's data and renders the PDF with no
   transaction open, storing the file under the version it expects;
2. a short transaction locks the review, re-checks its state, checks the
   rendering still shows exactly what a packet rendered now would and still
   gets the next version number (``is_current``), then saves the row and
   audits it;
3. if anything moved in between, the file is dropped and the packet
   rendered again (at most ``ATTEMPTS`` times, then a 409 to try again).

A change the packet shows (an amendment, the board's record) commits
first; ``refreeze`` then puts a new frozen packet to signature, voiding
the signatures in the same short transaction that stores it. A signature
that arrives in between is checked against the amendments and the record
(``is_stale``) and refused, so the board never signs a packet that no
longer shows the terms and the record.

So every use case that makes a packet commits its own transactions: call it
with none open (a caller's transaction would hold its locks through the
render). ``reviews/tests/test_render_outside_lock.py`` proves another
audited write goes through while a packet renders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit import services as audit
from contracts.access import can_manage
from core.actor import Actor, is_person
from core.checksum import checksum
from core.errors import Conflict
from reviews import packet as document
from reviews.models import AnnualReview, ReviewPacket
from reviews.services._common import (
    S,
    lock,
    person,
    require,
    require_state,
    signatories_except,
    standing,
    tell,
    void_signatures,
)

ATTEMPTS = 3


def current_packet(review: AnnualReview) -> ReviewPacket | None:
    return review.packets.order_by("-version").first()


def signing_packet(review: AnnualReview, *, loaded: Iterable[ReviewPacket] | None = None) -> ReviewPacket | None:
    """The frozen packet up for signature (or signed). ``loaded``: every packet of
    the review, already read by the page, instead of reading them again."""
    if review.status not in (S.AWAITING_SIGNATURES, S.SIGNED):
        return None
    if loaded is not None:
        return max((p for p in loaded if p.frozen), key=lambda p: p.version, default=None)
    return review.packets.filter(frozen=True).order_by("-version").first()


def is_stale(review: AnnualReview, packet: ReviewPacket) -> bool:
    """The packet no longer shows the review's amendments or its record: a
    signature on it would attest to something else."""
    return packet.amendments_fingerprint != document.amendments_fingerprint(review) or packet.data.get(
        "review"
    ) != document.review_section(review)


# -- render, then store ----------------------------------------------------------------------------------------


@dataclass
class Rendering:
    """A packet rendered from data read with no transaction open: the row
    (unsaved) and its file (already in storage)."""

    packet: ReviewPacket

    def discard(self) -> None:
        self.packet.pdf.delete(save=False)


def _next_version(review: AnnualReview) -> int:
    return (ReviewPacket.objects.filter(review_id=review.pk).aggregate(n=Max("version"))["n"] or 0) + 1


Progress = Callable[[str], None]
# The steps ``publish`` reports to its ``progress`` callback, in order.
STEPS = ("building the packet", "rendering the PDF", "storing the packet")


def render(
    review: AnnualReview, *, actor: Actor, frozen: bool, now: datetime, progress: Progress | None = None
) -> Rendering:
    """Read the packet's data and render the PDF (seconds). Call it with no
    transaction open; a new version is numbered, so a number never stands
    for two different files."""
    if progress is not None:
        progress(STEPS[0])
    data = document.packet_data(review)
    version = _next_version(review)
    if progress is not None:
        progress(STEPS[1])
    content = document.render_packet_pdf(data, version=version, generated_at=now, frozen=frozen)
    packet = ReviewPacket(
        review=review,
        version=version,
        frozen=frozen,
        frozen_at=now if frozen else None,
        data=data,
        data_checksum=checksum(data),
        amendments_fingerprint=document.amendments_fingerprint(review),
        generated_at=now,
        generated_by=person(actor),
        checksum=hashlib.sha256(content).hexdigest(),
    )
    packet.pdf.save(document.packet_filename(review, version), ContentFile(content), save=False)
    return Rendering(packet)


def is_current(rendering: Rendering, review: AnnualReview) -> bool:
    """Under the review's lock: the rendering shows what a packet rendered
    now would, and its version is still the next one."""
    packet = rendering.packet
    return (
        packet.version == _next_version(review)
        and packet.amendments_fingerprint == document.amendments_fingerprint(review)
        and packet.data_checksum == checksum(document.packet_data(review))
    )


def store(rendering: Rendering, review: AnnualReview, *, actor: Actor) -> ReviewPacket:
    """Under the review's lock, after ``is_current``: save the row and audit it."""
    packet = rendering.packet
    packet.review = review
    packet.save()
    audit.record(
        actor=actor,
        verb="annual_review.packet_frozen" if packet.frozen else "annual_review.packet_generated",
        obj=review,
        contract_id=review.contract_id,
        changes={
            "packet": [None, packet.version],
            "checksum": [None, packet.checksum],
            "frozen": [None, packet.frozen],
        },
    )
    return packet


Admit = Callable[[AnnualReview], bool]
Then = Callable[[AnnualReview, ReviewPacket], None]


def publish(
    review: AnnualReview,
    *,
    actor: Actor,
    frozen: bool,
    now: datetime,
    admit: Admit | None = None,
    then: Then | None = None,
    progress: Progress | None = None,
) -> ReviewPacket | None:
    """Render a packet, then store it in a short transaction. Under the lock
    ``admit(review)`` re-checks the state (raise to refuse, False: nothing
    to store any more) and ``then(review, packet)`` makes the changes that
    go with the packet (status, voided signatures, notices). ``progress``
    is told each of ``STEPS`` as it starts, never under the lock."""
    for _ in range(ATTEMPTS):
        rendering = render(
            AnnualReview.objects.select_related("contract").get(pk=review.pk),
            actor=actor,
            frozen=frozen,
            now=now,
            progress=progress,
        )
        if progress is not None:
            progress(STEPS[2])
        try:
            with transaction.atomic():
                locked = lock(review)
                if admit is not None and not admit(locked):
                    rendering.discard()
                    return None
                if not is_current(rendering, locked):
                    rendering.discard()
                    continue
                packet = store(rendering, locked, actor=actor)
                if then is not None:
                    then(locked, packet)
                return packet
        except BaseException:
            rendering.discard()
            raise
    raise Conflict(
        "The review kept changing while its packet was being rendered; try again.",
        state=review.status,
        allowed=[],
    )


# -- a change after freezing ---------------------------------------------------------------------------------


def refreeze(
    review: AnnualReview, *, actor: Actor, what: str, now: datetime, force: bool = False
) -> ReviewPacket | None:
    """``what`` changed in what the packet shows, and has been committed.
    While signatures are being collected, put a new frozen packet to
    signature: in its short transaction every signature is voided (and
    audited) and the signers are told. Nothing to do in any other state, or
    when the packet up for signature already shows it (another change's
    refreeze got there first), unless ``force`` (regenerating on purpose).
    Call it with no transaction open."""
    current = AnnualReview.objects.get(pk=review.pk)
    old = signing_packet(current)
    if current.status != S.AWAITING_SIGNATURES:
        return None
    if not force and old is not None and old.data_checksum == checksum(document.packet_data(current)):
        return None
    old_version = old.version if old else "?"
    who = str(actor) if is_person(actor) else "the system"
    sentence = f"{what[0].upper()}{what[1:]}"

    def admit(locked: AnnualReview) -> bool:
        return locked.status == S.AWAITING_SIGNATURES

    def then(locked: AnnualReview, packet: ReviewPacket) -> None:
        signers = void_signatures(locked, actor=actor, reason=f"{what} after packet v{old_version} was frozen", now=now)
        if signers:
            tell(
                signers,
                locked,
                event="review.signature_voided",
                title=f"Your signature on {locked.contract.reference} annual review {locked.year} is void",
                body=(
                    f"{sentence} (by {who}) after you signed packet v{old_version}. Every signature is void; "
                    f"packet v{packet.version} (checksum {packet.checksum[:12]}…) is up for signature: "
                    "please read it and sign again."
                ),
            )
        tell(
            signatories_except(locked, signers),
            locked,
            event="review.circulated",
            title=f"New packet v{packet.version} for {locked.contract.reference} annual review {locked.year}",
            body=f"{sentence}; packet v{packet.version} replaces the one up for signature.",
        )

    return publish(review, actor=actor, frozen=True, now=now, admit=admit, then=then)


def packet_regenerate(*, actor: Actor, review: AnnualReview) -> ReviewPacket:
    """A new draft packet from today's figures. While signatures are being
    collected this is a change to the packet: it freezes a new one and voids
    every signature."""
    s = standing(actor, review.contract)
    require(s.on_board or can_manage(s), "Only the board and the buyer's contract managers regenerate the packet.")
    review = AnnualReview.objects.get(pk=review.pk)
    require_state(review, (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES), "regenerate the packet")
    now = timezone.now()
    if review.status == S.AWAITING_SIGNATURES:
        packet = refreeze(review, actor=actor, what="the packet was regenerated", now=now, force=True)
        if packet is not None:
            return packet

    def admit(locked: AnnualReview) -> bool:
        require_state(locked, (S.PREPARING, S.IN_REVIEW), "regenerate the packet")
        return True

    packet = publish(review, actor=actor, frozen=False, now=now, admit=admit)
    assert packet is not None  # admit refuses by raising
    return packet


__all__ = ["current_packet", "is_stale", "packet_regenerate", "publish", "refreeze", "signing_packet"]
