"""The webhook pages under /settings/webhooks/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from accounts.tests.factories import OrganizationFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import make_endpoint

pytestmark = pytest.mark.django_db


def test_an_admin_adds_an_endpoint_and_sees_the_secret_once(buyer_org, buyer_admin, client_for):
    client = client_for(buyer_admin)
    assert client.get("/settings/webhooks/new/").status_code == 200

    response = client.post(
        "/settings/webhooks/new/",
        {"name": "Ops", "url": "https://hooks.example.test/a", "format": "teams", "events": ["incident.opened"]},
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organization, endpoint.format, endpoint.events) == (buyer_org, "teams", ["incident.opened"])
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    page = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert secret not in page and "Ops" in page
    assert "Ops" in client.get("/settings/webhooks/").content.decode()


def test_a_bad_url_is_shown_on_its_field(buyer_admin, client_for):
    response = client_for(buyer_admin).post(
        "/settings/webhooks/new/", {"name": "Ops", "url": "http://hooks.example.test/a", "format": "covenant"}
    )
    assert response.status_code == 200
    assert "https://" in " ".join(response.context["form"].errors["url"])
    assert not WebhookEndpoint.objects.exists()


def test_edit_test_deactivate_and_redeliver(
    buyer_org, buyer_admin, client_for, receiver, eager, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    client = client_for(buyer_admin)
    base = f"/settings/webhooks/{endpoint.pk}/"

    response = client.post(base, {"name": "Renamed", "url": receiver.url, "format": "slack", "events": ["claim.filed"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.format, endpoint.events) == ("Renamed", "slack", ["claim.filed"])

    receiver.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(base + "test/")
    delivery = WebhookDelivery.objects.get()
    assert response["Location"] == f"/settings/webhooks/deliveries/{delivery.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Pending" in page and "500" in page and "Redeliver" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/")
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert "Delivered" in client.get(base).content.decode()

    assert client.post(base + "deactivate/").status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "Redeliver" not in client.get(f"/settings/webhooks/deliveries/{delivery.pk}/").content.decode()


def test_others_get_404_and_non_admins_403(buyer_org, buyer_admin, vendor_admin, buyer, client_for):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url="https://hooks.example.test/a")
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_id="evt_1", event="claim.filed", payload={})

    outsider = client_for(vendor_admin)
    for url in (f"/settings/webhooks/{endpoint.pk}/", f"/settings/webhooks/deliveries/{delivery.pk}/"):
        assert outsider.get(url).status_code == 404
    for url in ("deactivate/", "test/"):
        assert outsider.post(f"/settings/webhooks/{endpoint.pk}/{url}").status_code == 404
    assert outsider.post(f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert "hooks.example.test" not in outsider.get("/settings/webhooks/").content.decode()

    member = client_for(buyer)
    assert member.get("/settings/webhooks/").status_code == 403
    assert member.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.is_active


def test_an_admin_of_two_organizations_chooses_one(buyer_org, buyer_admin, client_for):
    from accounts.models import Membership

    second = OrganizationFactory(name="Second Bank", slug="second", kind=Organization.Kind.BUYER)
    Membership.objects.create(user=buyer_admin, organization=second, role="contract_manager", is_admin=True)
    client = client_for(buyer_admin)
    body = {"name": "Ops", "url": "https://hooks.example.test/a", "format": "covenant"}

    response = client.post("/settings/webhooks/new/", body)
    assert "organization" in response.context["form"].errors

    client.post("/settings/webhooks/new/", {**body, "organization": second.pk})
    assert WebhookEndpoint.objects.get().organization == second


def test_page_query_counts_are_constant(buyer_org, buyer_admin, client_for, django_assert_num_queries):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url="https://hooks.example.test/0")
    client = client_for(buyer_admin)

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_endpoint(
                actor=buyer_admin, organization=buyer_org, url=f"https://hooks.example.test/{i}", name=f"h{i}"
            )
            WebhookDelivery.objects.create(endpoint=endpoint, event_id=f"evt_{i}", event="claim.filed", payload={})

    grow(1, 1)
    pages = ("/settings/webhooks/", f"/settings/webhooks/{endpoint.pk}/")
    counts = {}
    for page in pages:
        with CaptureQueriesContext(connection) as small:
            assert client.get(page).status_code == 200
        counts[page] = len(small.captured_queries)
    grow(6, 2)
    shown = {}
    for page in pages:
        with django_assert_num_queries(counts[page]):
            shown[page] = client.get(page).content.decode()
    assert all(f">h{i}</a>" in shown[pages[0]] for i in range(1, 8))
    assert shown[pages[1]].count("<code>claim.filed</code>") == 7
