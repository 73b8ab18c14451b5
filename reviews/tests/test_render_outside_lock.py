"""A review packet renders outside every transaction: while one request
renders a packet (made slow here), another person's audited write on a
second connection goes through at once, and the audit chain stays whole.

Rendered inside the use case's transaction, as packets once were, the write
would wait for the whole render: on SQLite the IMMEDIATE transaction holds
the database's one write lock from BEGIN, on PostgreSQL ``audit.record`` holds
the audit chain head's row lock, which every audited write takes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from audit.models import AuditEntry
from audit.services import verify_chain
from contracts import services as contract_services
from reviews import packet as document
from reviews.models import AnnualReview, ReviewPacket
from reviews.services import amendments, lifecycle, packets
from reviews.tests.factories import open_review, propose, seat_board

RENDER_SECONDS = 1.5
PROMPT = 1.0  # an audited write beside a render takes well under this


@pytest.fixture
def slow_render(monkeypatch):
    """The packet renderer, made slow; the event says a render has begun."""
    started = threading.Event()
    real = document.render_packet_pdf

    def render(*args: Any, **kwargs: Any) -> bytes:
        started.set()
        time.sleep(RENDER_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(document, "render_packet_pdf", render)
    return started


@pytest.fixture
def board(transactional_db, contract, staff, buyer, vendor, clock):
    return seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)


def regenerate(review: AnnualReview, chair: Any) -> Any:
    return packets.packet_regenerate(actor=chair, review=review)


def freeze(review: AnnualReview, chair: Any) -> Any:
    return lifecycle.review_freeze(actor=chair, review=review)


def change_after_freezing(review: AnnualReview, chair: Any) -> Any:
    """An amendment edited while signatures are collected: a new frozen packet."""
    amendments.amendment_update(actor=chair, amendment=review.amendments.get(), rationale="Reworded.")
    return packets.signing_packet(AnnualReview.objects.get(pk=review.pk))


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(call())
        except Exception as exc:  # shown by the assertion on the result
            out.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("flow", [regenerate, freeze, change_after_freezing])
def test_an_audited_write_does_not_wait_for_a_packet_being_rendered(flow, board, contract, staff, buyer, slow_render):
    review = open_review(contract, generate_packet=False)
    propose(review, buyer)
    if flow is change_after_freezing:
        lifecycle.review_freeze(actor=board, review=review)
    review.refresh_from_db()
    slow_render.clear()

    thread, out = in_thread(lambda: flow(review, board))
    assert slow_render.wait(timeout=30), "the packet never started rendering"
    began = time.monotonic()
    contract_services.contact_add(
        actor=staff, contract=contract, side="vendor", role="incident_manager", name="Ina Cident", email="ina@x.test"
    )
    waited = time.monotonic() - began
    still_rendering = thread.is_alive()
    thread.join(timeout=60)

    assert waited < PROMPT, f"the write waited {waited:.2f} s for the render"
    assert still_rendering
    (result,) = out
    assert isinstance(result, ReviewPacket), result
    contact = AuditEntry.objects.get(verb="contact.created", contract_id=contract.pk)
    stored = AuditEntry.objects.filter(verb__startswith="annual_review.packet_").order_by("-seq").first()
    assert stored.seq > contact.seq  # the packet was stored after the write, not before it
    assert verify_chain().ok
