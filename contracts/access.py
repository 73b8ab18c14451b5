"""Who may do what to a contract: the role half of access control. (Who may
*see* a contract is the one rule in accounts.access.)"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from accounts.access import Standing, standing
from accounts.models import Membership
from contracts.models import Contract
from core.errors import NotPermitted


def contract_standing(user: Any, contract: Contract) -> Standing:
    board_ids = getattr(contract, "_board_user_ids", None)
    if board_ids is None:
        board_ids = set(contract.board.values_list("user_id", flat=True))
        contract._board_user_ids = board_ids
    return standing(user, buyer_id=contract.buyer_id, vendor_id=contract.vendor_id, board_user_ids=board_ids)


def get_visible_contract(user: Any, pk: int | str) -> Contract:
    """The contract if the user may see it; 404 otherwise (never 403: a
    stranger must not learn that the contract exists)."""
    try:
        return Contract.objects.visible_to(user).select_related("buyer", "vendor").get(pk=pk)
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contract.") from None


def can_manage(s: Standing) -> bool:
    """Edit contract data and draft terms, activate versions."""
    return s.is_staff or (s.is_buyer and s.has_role(Membership.Role.CONTRACT_MANAGER))


def can_amend(s: Standing) -> bool:
    return can_manage(s) or s.on_board


def can_manage_side(s: Standing) -> bool:
    """Contacts and documents: either party's managers."""
    return can_manage(s) or (s.is_vendor and s.has_role(Membership.Role.ACCOUNT_MANAGER))


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)
