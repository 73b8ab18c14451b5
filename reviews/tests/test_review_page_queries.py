"""The annual review's page and its API detail run at most ten queries, for each persona, and the
same number once the review has more comments, board members and signatories."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.conftest import pdf_once_per_kind  # noqa: F401 - the fixture
from tests.world import NOW, World, frozen_now_fixture, media_root_fixture, world_fixture  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_once_per_kind")]

PERSONAS = ("buyer_cm", "vendor_am", "board", "staff")
BUDGET = 10


def _counts(world: World) -> dict[tuple[str, str], int]:
    review = world.own.review
    out = {}
    for persona in PERSONAS:
        client = Client()
        client.force_login(world.user(persona))
        for url in (f"/reviews/{review.pk}/", f"/api/reviews/{review.pk}/"):
            client.get(url)  # the session is cached from here on, as in production
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (persona, url)
            out[(persona, url)] = len(ctx.captured_queries)
    return out


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_it_stays_within_budget_whatever_the_rows(world: World) -> None:
    from contracts.services import board_seat_add
    from reviews.services import board, comments

    before = _counts(world)
    review, chair = world.own.review, world.user("board")
    for i in range(3):
        comments.comment_add(actor=chair, review=review, body=f"Point {i}.")
    for role in ("buyer_ops", "vendor_eng"):
        board_seat_add(actor=world.user("staff"), contract=review.contract, user=world.user(role))
    board.sync_signatories(review)
    after = _counts(world)

    assert max(before.values()) <= BUDGET, before
    assert after == before
