"""The dashboard's query budget (issue 19): at most ten queries with the
session, the user and the top bar, and the same number for 2 and 20
contracts, for each persona."""

from __future__ import annotations

from django.urls import reverse

from accounts.tests.factories import UserFactory
from portal.tests.dash_world import october_with_credits, portfolio

BUDGET = 10


def measure(client, django_assert_max_num_queries, count_queries) -> int:
    client.get(reverse("home"))  # warm the session and content types
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return count_queries(lambda: client.get(reverse("home")))


def test_the_buyers_page(client_for, buyer, buyer_org, django_assert_max_num_queries, count_queries, clock):
    client = client_for(buyer)
    october_with_credits(portfolio(2, buyer=buyer_org)[0])
    small = measure(client, django_assert_max_num_queries, count_queries)
    october_with_credits(portfolio(18, start=2, buyer=buyer_org)[0])
    assert measure(client, django_assert_max_num_queries, count_queries) == small


def test_the_vendors_page(client_for, vendor, vendor_org, django_assert_max_num_queries, count_queries, clock):
    client = client_for(vendor)
    october_with_credits(portfolio(2, vendor=vendor_org)[0])
    small = measure(client, django_assert_max_num_queries, count_queries)
    october_with_credits(portfolio(18, start=2, vendor=vendor_org)[0])
    assert measure(client, django_assert_max_num_queries, count_queries) == small


def test_the_board_members_page(db, client_for, django_assert_max_num_queries, count_queries, clock):
    from reviews.tests.factories import open_review

    member = UserFactory(username="board-only")
    client = client_for(member)
    for contract in portfolio(2, board=member):
        open_review(contract)
    small = measure(client, django_assert_max_num_queries, count_queries)
    for contract in portfolio(18, start=2, board=member):
        open_review(contract)
    assert measure(client, django_assert_max_num_queries, count_queries) == small


def test_every_role_at_once(client_for, buyer_org, django_assert_max_num_queries, count_queries, clock):
    """A buyer's contract manager who also works for a vendor and sits on boards."""
    from accounts.models import Organization
    from accounts.tests.factories import MembershipFactory, OrganizationFactory, member

    person = member("many-hats", buyer_org, "contract_manager")
    seller = OrganizationFactory(name="Seller", slug="seller", kind=Organization.Kind.VENDOR)
    MembershipFactory(user=person, organization=seller, role="account_manager")
    client = client_for(person)
    portfolio(2, buyer=buyer_org, board=person)
    portfolio(2, start=2, vendor=seller)
    small = measure(client, django_assert_max_num_queries, count_queries)
    portfolio(8, start=4, buyer=buyer_org, board=person)
    portfolio(8, start=12, vendor=seller)
    assert measure(client, django_assert_max_num_queries, count_queries) == small
