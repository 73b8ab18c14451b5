"""What the contract page reads, in a fixed number of queries whatever the rows.

The contract comes with its onboarding plan's counts and its latest termination
right on its own row, and its annual reviews prefetched. Its short lists (the
board with its people's names, the contacts, the documents) come together in
one ``UNION ALL`` of a common shape, rebuilt here into the models the template
knows.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from contracts.models import (
    BoardSeat,
    Contract,
    ContractContact,
    ContractDocument,
    OnboardingItem,
    TerminationRight,
)
from contracts.onboarding.selectors import ONBOARDING_COUNTS, progress_from_counts
from core.unions import Branch, union_rows

# What the contract page shows of the latest termination right that was not withdrawn.
_TERMINATION_SHOWN = ("pk", "status", "raised_on", "report_label", "expires_at", "ended_at", "reason")


def _onboarding_count(**filters: Any) -> Coalesce:
    items = (
        OnboardingItem.objects.filter(contract=OuterRef("pk"), **filters)
        .order_by()
        .values("contract")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(items), 0)


def page_contract(user: Any, pk: int) -> Contract:
    """The contract as ``get_visible_contract`` finds it (404 otherwise), with, on the same row, its
    onboarding plan's counts and the latest termination right that was not withdrawn, and its
    annual reviews (prefetched: the review panel and the legal-hold panel share them)."""
    today, S = timezone.localdate(), OnboardingItem.Status
    latest_right = (
        TerminationRight.objects.filter(contract=OuterRef("pk"))
        .exclude(status=TerminationRight.Status.WITHDRAWN)
        .order_by("-raised_at", "-pk")
    )
    counts = {
        "total": _onboarding_count(),
        "done": _onboarding_count(status=S.DONE),
        "waived": _onboarding_count(status=S.WAIVED),
        "open": _onboarding_count(status=S.OPEN),
        "overdue": _onboarding_count(status=S.OPEN, due_date__lt=today),
    }
    try:
        return (
            Contract.objects.visible_to(user)
            .select_related("buyer", "vendor")
            .annotate(
                **{f"onboarding_{name}": count for name, count in counts.items()},
                **{f"termination_{name}": Subquery(latest_right.values(name)[:1]) for name in _TERMINATION_SHOWN},
            )
            .prefetch_related("annual_reviews")
            .get(pk=pk)
        )
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contract.") from None


def onboarding_progress(contract: Contract) -> dict[str, Any]:
    """``contracts.onboarding.selectors.onboarding_progress``, from the counts on the row of
    ``page_contract``."""
    return progress_from_counts(**{name: getattr(contract, f"onboarding_{name}") for name in ONBOARDING_COUNTS})


def termination_state(contract: Contract) -> dict[str, Any]:
    """From the row of ``page_contract``: ``open``, the termination right open now, and ``last``,
    when none is open, the latest that ended (a right withdrawn is never shown)."""
    shown = {name: getattr(contract, f"termination_{name}") for name in _TERMINATION_SHOWN}
    latest = TerminationRight(contract=contract, **shown) if shown["pk"] is not None else None
    is_open = latest is not None and latest.status == TerminationRight.Status.OPEN
    return {"open": latest if is_open else None, "last": None if is_open else latest}


# -- the board, the contacts and the documents, in one query ------------------------------------

# The shared shape: every column any of the three lists fills.
_SHAPE: dict[str, models.Field] = {
    "user_id": models.BigIntegerField(),
    "username": models.TextField(),
    "first_name": models.TextField(),
    "last_name": models.TextField(),
    "is_chair": models.BooleanField(),
    "side": models.TextField(),
    "role": models.TextField(),
    "name": models.TextField(),
    "email": models.TextField(),
    "phone": models.TextField(),
    "title": models.TextField(),
    "file": models.TextField(),
    "size": models.BigIntegerField(),
    "uploaded_by_id": models.BigIntegerField(),
    "uploaded_at": models.DateTimeField(),
}


def people(contract: Contract) -> tuple[list[BoardSeat], list[ContractContact], list[ContractDocument]]:
    """The board (with its people's names), the contacts and the documents the page lists, each in
    its model's order, in one query."""
    mine = {"contract": contract}
    rows = union_rows(
        _SHAPE,
        {
            "seat": Branch(
                BoardSeat.objects.filter(**mine),
                {
                    "user_id": "user_id",
                    "username": "user__username",
                    "first_name": "user__first_name",
                    "last_name": "user__last_name",
                    "is_chair": "is_chair",
                },
                order=[F("is_chair").desc(), F("user__username").asc()],
            ),
            "contact": Branch(
                ContractContact.objects.filter(**mine),
                {name: name for name in ("side", "role", "name", "email", "phone", "user_id")},
                order=[F("side").asc(), F("role").asc(), F("name").asc()],
            ),
            "document": Branch(
                ContractDocument.objects.filter(**mine),
                {name: name for name in ("title", "file", "size", "uploaded_by_id", "uploaded_at")},
                order=[F("uploaded_at").desc()],
            ),
        },
    )
    board = [
        BoardSeat(
            pk=r["pk"],
            contract=contract,
            user=User(pk=r["user_id"], username=r["username"], first_name=r["first_name"], last_name=r["last_name"]),
            is_chair=r["is_chair"],
        )
        for r in rows["seat"]
    ]
    contacts = [
        ContractContact(
            pk=r["pk"],
            contract=contract,
            side=r["side"],
            role=r["role"],
            name=r["name"],
            email=r["email"],
            phone=r["phone"],
            user_id=r["user_id"],
        )
        for r in rows["contact"]
    ]
    documents = [
        ContractDocument(
            pk=r["pk"],
            contract=contract,
            title=r["title"],
            file=r["file"],
            size=r["size"],
            uploaded_by_id=r["uploaded_by_id"],
            uploaded_at=r["uploaded_at"],
        )
        for r in rows["document"]
    ]
    return board, contacts, documents
