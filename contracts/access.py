"""Who may do what to a contract: the role half of access control. (Who may
*see* a contract is the one rule in accounts.access.)"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.http import Http404

from accounts.access import Standing, standing
from accounts.models import Membership, User
from contracts.models import Contract
from core.actor import Actor
from core.errors import NotPermitted


def contract_standing(user: Any, contract: Contract) -> Standing:
    board_ids = getattr(contract, "_board_user_ids", None)
    if board_ids is None:
        board_ids = set(contract.board.values_list("user_id", flat=True))
        contract._board_user_ids = board_ids
    return standing(user, buyer_id=contract.buyer_id, vendor_id=contract.vendor_id, board_user_ids=board_ids)


def get_visible_contract(user: Any, pk: int | str, *, annotate: dict[str, Any] | None = None) -> Contract:
    """The contract if the user may see it; 404 otherwise (never 403: a
    stranger must not learn that the contract exists). ``annotate``: a page's
    scalar subqueries, read in the same query as the contract."""
    try:
        return Contract.objects.visible_to(user).select_related("buyer", "vendor").annotate(**annotate or {}).get(pk=pk)
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


# -- the parties' managers: who speaks for a side of the contract (credits, disputes) ----------


def is_buyer_manager(s: Standing) -> bool:
    """One of the buyer's contract managers."""
    return s.is_buyer and s.has_role(Membership.Role.CONTRACT_MANAGER)


def is_vendor_manager(s: Standing) -> bool:
    """One of the vendor's account managers."""
    return s.is_vendor and s.has_role(Membership.Role.ACCOUNT_MANAGER)


def is_manager(s: Standing) -> bool:
    """Either party's manager (staff are not a party)."""
    return is_buyer_manager(s) or is_vendor_manager(s)


def manager_side(s: Standing) -> str | None:
    """ "buyer" or "vendor" for a party's manager, else None."""
    return "buyer" if is_buyer_manager(s) else "vendor" if is_vendor_manager(s) else None


def contract_managers(contract: Contract, *, side: str | None = None, exclude: Actor | None = None) -> list[User]:
    """Active people who manage the contract for one side (``"buyer"``, ``"vendor"``) or both,
    without ``exclude`` (the person acting, who need not be told)."""
    conds = []
    if side in (None, "buyer"):
        conds.append(
            Q(memberships__organization_id=contract.buyer_id, memberships__role=Membership.Role.CONTRACT_MANAGER)
        )
    if side in (None, "vendor"):
        conds.append(
            Q(memberships__organization_id=contract.vendor_id, memberships__role=Membership.Role.ACCOUNT_MANAGER)
        )
    users = User.objects.filter(reduce(or_, conds), memberships__is_active=True, is_active=True).distinct()
    if exclude is not None and exclude.pk is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users)
