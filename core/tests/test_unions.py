"""``union_rows`` on the real database: typed NULLs across branches (PostgreSQL
refuses a union whose NULL column met a number after text), each list in its own
order, empty lists, and a shape mistake named."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.db.models import F

from accounts.models import Membership, Organization, User
from core.unions import Branch, union_rows

pytestmark = pytest.mark.django_db

SHAPE: dict[str, models.Field[Any, Any]] = {
    "label": models.CharField(),
    "number": models.BigIntegerField(),
    "since": models.DateTimeField(),
    "flag": models.BooleanField(),
}


@pytest.fixture
def rows():
    orgs = [Organization.objects.create(name=n, slug=n.lower(), kind="buyer") for n in ("Beta", "Alpha", "Gamma")]
    users = [User.objects.create(username=n, email=f"{n}@example.com") for n in ("zed", "amy")]
    Membership.objects.create(user=users[0], organization=orgs[0], role="viewer")
    return orgs, users


def test_each_list_comes_back_whole_in_its_own_order_with_typed_nulls(rows) -> None:
    orgs, users = rows
    out = union_rows(
        SHAPE,
        {
            # The first branch has no number and no flag: NULLs that must take the later types.
            "orgs": Branch(Organization.objects.all(), {"label": "name", "since": "created_at"}, [F("name").asc()]),
            "users": Branch(User.objects.all(), {"label": "username", "number": "pk", "flag": "is_staff"}),
            "members": Branch(Membership.objects.all(), {"label": "organization__name", "number": "user_id"}),
        },
    )
    assert [r["label"] for r in out["orgs"]] == ["Alpha", "Beta", "Gamma"]
    assert all(r["number"] is None and r["flag"] is None and r["since"] is not None for r in out["orgs"])
    assert [r["pk"] for r in out["orgs"]] == [orgs[1].pk, orgs[0].pk, orgs[2].pk]
    # Default order: by primary key.
    assert [(r["label"], r["number"], r["flag"]) for r in out["users"]] == [
        ("zed", users[0].pk, False),
        ("amy", users[1].pk, False),
    ]
    assert out["members"] == [
        {"pk": Membership.objects.get().pk, "label": "Beta", "number": users[0].pk, "since": None, "flag": None}
    ]


def test_an_empty_list_and_a_single_branch(rows) -> None:
    out = union_rows(SHAPE, {"none": Branch(User.objects.none(), {"label": "username"})})
    assert out == {"none": []}
    out = union_rows(
        SHAPE,
        {
            "nobody": Branch(User.objects.filter(username="nobody"), {"label": "username"}),
            "orgs": Branch(Organization.objects.filter(name="Gamma"), {"label": "name"}),
        },
    )
    assert out["nobody"] == [] and [r["label"] for r in out["orgs"]] == ["Gamma"]


def test_a_column_outside_the_shape_is_named() -> None:
    with pytest.raises(ValueError, match=r"'users' fills columns the shape lacks: \['email'\]"):
        union_rows(SHAPE, {"users": Branch(User.objects.all(), {"email": "email"})})
