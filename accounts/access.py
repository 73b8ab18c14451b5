"""Who a person is in an organization: their organizations, memberships and
standing (side, role, board seat) toward a pair of parties.

Which contracts a person may see is the contracts app's rule, next to the
contract: ``Contract.objects.visible_to(user)`` and ``contracts.models.visibility_q``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Subquery

from accounts.models import Membership, Organization

if TYPE_CHECKING:
    from accounts.models import User


def organization_ids(user: Any) -> list[int]:
    """The user's active organizations, cached on the user object per request."""
    cached = getattr(user, "_covenant_org_ids", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user_id=user.pk, is_active=True)
            .order_by("organization_id")
            .values_list("organization_id", flat=True)
        )
        user._covenant_org_ids = cached
    return cached


@dataclass(frozen=True)
class Standing:
    """How a person stands toward one contract."""

    side: str | None  # Organization.Kind.BUYER / VENDOR, or None (board only, or staff)
    role: str | None  # Membership.Role of the party membership
    on_board: bool
    is_staff: bool

    @property
    def sees(self) -> bool:
        return self.is_staff or self.side is not None or self.on_board

    @property
    def is_buyer(self) -> bool:
        return self.side == Organization.Kind.BUYER

    @property
    def is_vendor(self) -> bool:
        return self.side == Organization.Kind.VENDOR

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def standing(user: User | Any, *, buyer_id: int, vendor_id: int, board_user_ids: set[int] | None = None) -> Standing:
    """The user's side and role on a contract whose parties are given by id."""
    side = role = None
    if getattr(user, "is_authenticated", False):
        for membership in _memberships(user):
            if membership.organization_id == buyer_id:
                side, role = Organization.Kind.BUYER, membership.role
            elif membership.organization_id == vendor_id:
                side, role = Organization.Kind.VENDOR, membership.role
    on_board = bool(board_user_ids and getattr(user, "pk", None) in board_user_ids)
    return Standing(side=side, role=role, on_board=on_board, is_staff=bool(getattr(user, "is_staff", False)))


def _memberships(user: Any) -> list[Membership]:
    """The user's active memberships, cached on the user object per request.
    The same query brings the person's unread notification count (every page
    shows it), so the chrome of a page costs one query, not two."""
    cached = getattr(user, "_covenant_memberships", None)
    if cached is None:
        from accounts.models import Notification

        unread = (
            Notification.objects.filter(user_id=OuterRef("user_id"), read_at__isnull=True)
            .order_by()
            .values("user_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        cached = list(
            Membership.objects.filter(user_id=user.pk, is_active=True)
            .select_related("organization")
            .annotate(unread_notifications=Subquery(unread))
        )
        user._covenant_memberships = cached
    return cached


def unread_notifications(user: Any) -> int:
    """How many notifications the person has not read (from the membership
    query when they have a membership; staff without one count apart)."""
    memberships = _memberships(user)
    if memberships:
        return int(getattr(memberships[0], "unread_notifications", None) or 0)
    return int(user.notifications.unread().count())


def primary_membership(user: Any) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    memberships = _memberships(user)
    return memberships[0] if memberships else None


def is_organization_admin(user: Any, organization_id: int) -> bool:
    """May this person run ``organization_id``'s people and settings? Staff,
    or an active admin membership of that organization."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):
        return True
    return any(m.organization_id == organization_id and m.is_admin for m in _memberships(user))


def administered_organization_ids(user: Any) -> list[int]:
    """The organizations this person administers (staff: none implied here;
    staff pick the organization explicitly)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [m.organization_id for m in _memberships(user) if m.is_admin]


def organization_ids_of_kind(user: Any, kind: str) -> list[int]:
    """The user's active organizations of one kind (buyer or vendor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [m.organization_id for m in _memberships(user) if m.organization.kind == kind]
