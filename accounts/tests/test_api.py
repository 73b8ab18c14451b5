"""/api/me/, /api/organizations/, /api/notifications/ and the API's error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services
from accounts.models import Membership, Notification
from accounts.services import token_issue

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


def token_client(user) -> Client:
    _, key = token_issue(actor=user, user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_me(buyer, buyer_org):
    response = token_client(buyer).get("/api/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "buyer"
    assert body["is_staff"] is False
    assert body["memberships"] == [
        {
            "organization": {"id": buyer_org.pk, "name": "Northwind Bank", "slug": "northwind", "kind": "buyer"},
            "role": "contract_manager",
        }
    ]


def test_me_leaves_out_inactive_memberships(buyer, vendor_org):
    Membership.objects.create(user=buyer, organization=vendor_org, role=Membership.Role.VIEWER, is_active=False)
    memberships = token_client(buyer).get("/api/me/").json()["memberships"]
    assert [m["organization"]["slug"] for m in memberships] == ["northwind"]


def test_me_with_a_session_login(client_for, buyer):
    response = client_for(buyer).get("/api/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "buyer"


def test_token_authentication(buyer):
    response = token_client(buyer).get("/api/organizations/")
    assert response.status_code == 200
    assert [o["slug"] for o in response.json()["results"]] == ["northwind"]


@pytest.mark.parametrize(
    "path", ["/api/me/", "/api/organizations/", "/api/notifications/", "/api/contracts/", "/api/audit/"]
)
def test_unauthenticated_requests_are_refused(db, path):
    response = Client().get(path)
    body = assert_error_shape(response, 401)
    assert body["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_refused(db):
    response = Client().get("/api/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    body = assert_error_shape(response, 401)
    assert body["code"] == "authentication_failed"


def test_unauthenticated_write_is_refused(db):
    response = Client().post("/api/notifications/read/")
    assert_error_shape(response, 401)


def test_organizations_are_your_own(client_for, buyer, vendor, buyer_org, vendor_org, other_vendor_org):
    def slugs(user) -> list[str]:
        response = client_for(user).get("/api/organizations/")
        assert response.status_code == 200
        return [org["slug"] for org in response.json()["results"]]

    assert slugs(buyer) == ["northwind"]
    assert slugs(vendor) == ["acme"]
    assert client_for(buyer).get(f"/api/organizations/{vendor_org.pk}/").status_code == 404
    assert client_for(buyer).get(f"/api/organizations/{buyer_org.pk}/").json()["name"] == "Northwind Bank"


def test_staff_list_every_organization(client_for, staff, buyer_org, vendor_org, other_vendor_org):
    response = client_for(staff).get("/api/organizations/", {"kind": "vendor"})
    assert [org["slug"] for org in response.json()["results"]] == ["acme", "globex"]


def test_organizations_leave_out_inactive_memberships(client_for, buyer, vendor_org):
    Membership.objects.create(user=buyer, organization=vendor_org, role=Membership.Role.VIEWER, is_active=False)
    assert [o["slug"] for o in client_for(buyer).get("/api/organizations/").json()["results"]] == ["northwind"]


def test_notifications_and_read(client_for, buyer, vendor):
    services.notify(users=[buyer], event="incident.opened", title="P1 opened", email=False)
    services.notify(users=[buyer], event="review.circulated", title="Review due", email=False)
    services.notify(users=[vendor], event="incident.opened", title="Not yours", email=False)
    client = client_for(buyer)

    listing = client.get("/api/notifications/").json()
    assert listing["count"] == 2
    assert {n["title"] for n in listing["results"]} == {"P1 opened", "Review due"}
    assert all(n["read_at"] is None for n in listing["results"])

    response = client.post("/api/notifications/read/")
    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert all(n["read_at"] for n in client.get("/api/notifications/").json()["results"])
    assert client.post("/api/notifications/read/").json() == {"marked": 0}
    assert Notification.objects.filter(user=vendor, read_at__isnull=True).count() == 1


def test_malformed_json_is_a_400_in_the_error_shape(client_for, buyer):
    response = client_for(buyer).post("/api/contracts/", data="{not json", content_type="application/json")

    body = assert_error_shape(response, 400)
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error")


def test_a_json_body_that_is_not_an_object_is_a_400(client_for, buyer):
    response = client_for(buyer).post("/api/contracts/", data="[1, 2]", content_type="application/json")

    body = assert_error_shape(response, 400)
    assert body["code"] == "invalid"
    assert "non_field_errors" in body["errors"]


def test_unsupported_media_type_is_a_415_in_the_error_shape(client_for, buyer):
    response = client_for(buyer).post("/api/contracts/", data="reference=x", content_type="text/plain")
    body = assert_error_shape(response, 415)
    assert body["code"] == "unsupported_media_type"


def test_audit_trail_is_staff_only(client_for, buyer, staff, contract):
    assert_error_shape(client_for(buyer).get("/api/audit/"), 403)
    assert client_for(staff).get("/api/audit/").json()["count"] >= 4
