"""Governance board use cases: seat someone on a contract's board, remove a seat."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit import services as audit
from contracts.access import can_manage, contract_standing, require
from contracts.models import BoardSeat, Contract
from contracts.services._common import _lock
from core.actor import Actor


def board_seat_add(*, actor: Actor, contract: Contract, user: Any, is_chair: bool = False) -> BoardSeat:
    require(can_manage(contract_standing(actor, contract)), "Only the buyer's contract managers may change the board.")
    contract.__dict__.pop("_board_user_ids", None)  # the caller's cached board is about to change
    with transaction.atomic():
        contract = _lock(contract)
        if is_chair:
            BoardSeat.objects.filter(contract=contract, is_chair=True).exclude(user=user).update(is_chair=False)
        seat, created = BoardSeat.objects.update_or_create(
            contract=contract, user=user, defaults={"is_chair": is_chair}
        )
        audit.record(
            actor=actor,
            verb="board.seat_added" if created else "board.seat_updated",
            obj=seat,
            contract_id=contract.pk,
            changes={"user": [None, user.username], "is_chair": [None, is_chair]},
        )
    return seat


def board_seat_remove(*, actor: Actor, seat: BoardSeat) -> None:
    require(
        can_manage(contract_standing(actor, seat.contract)), "Only the buyer's contract managers may change the board."
    )
    seat.contract.__dict__.pop("_board_user_ids", None)  # the caller's cached board is about to change
    with transaction.atomic():
        audit.record(
            actor=actor,
            verb="board.seat_removed",
            obj=seat,
            contract_id=seat.contract_id,
            changes={"user": [seat.user.username, None]},
        )
        seat.delete()
