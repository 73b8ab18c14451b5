"""The webhook API: organization admins manage their endpoints and read their deliveries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import make_endpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/webhooks/endpoints/"
DELIVERIES = "/api/webhooks/deliveries/"


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(buyer_org, buyer_admin, client_for):
    client = client_for(buyer_admin)
    response = client.post(
        ENDPOINTS,
        {
            "name": "Ops channel",
            "url": "https://hooks.slack.test/T1/B2",
            "format": "slack",
            "events": ["incident.opened"],
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert (body["organization"], body["format"], body["events"]) == (buyer_org.pk, "slack", ["incident.opened"])
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by == buyer_admin and body["secret"] not in endpoint.secret_sealed
    assert "secret" not in client.get(f"{ENDPOINTS}{endpoint.pk}/").json()
    assert "secret" not in client.get(ENDPOINTS).json()["results"][0]
    assert AuditEntry.objects.filter(verb="webhook.endpoint_created", object_id=str(endpoint.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"url": "http://hooks.example.test/x"}, "url", "https://"),
        ({"url": "ftp://hooks.example.test/x"}, "url", "https://"),
        ({"url": "https://user:pw@hooks.example.test/x"}, "url", "password"),
        ({"url": "https://10.1.2.3/x"}, "url", "private"),
        ({"url": "not a url"}, "url", "https://"),
        ({"events": ["incident.opened", "no.such"]}, "events", "'no.such'"),
        ({"format": "discord"}, "format", "not a valid choice"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(buyer_admin, client_for, changes, field, words):
    body = {"name": "Hook", "url": "https://hooks.example.test/x", "format": "covenant", **changes}

    response = client_for(buyer_admin).post(ENDPOINTS, body, content_type="application/json")

    assert response.status_code == 400
    error = response.json()
    assert list(error["errors"]) == [field]
    assert words in error["errors"][field][0]
    assert error["detail"].startswith(f"{field}: ")
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_to_localhost_only_in_development(buyer_admin, client_for, settings):
    client = client_for(buyer_admin)
    body = {"name": "Local", "url": "http://localhost:9000/hook"}
    assert client.post(ENDPOINTS, body, content_type="application/json").status_code == 201

    settings.TESTING = False
    settings.DEBUG = False
    response = client.post(ENDPOINTS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["url"] == ["Must use https://."]


def test_people_who_are_not_admins_cannot_create(buyer, client_for):
    response = client_for(buyer).post(
        ENDPOINTS, {"name": "Hook", "url": "https://hooks.example.test/x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_an_organization_one_does_not_administer_is_refused(buyer_admin, vendor_org, client_for):
    response = client_for(buyer_admin).post(
        ENDPOINTS,
        {"organization": vendor_org.pk, "name": "Hook", "url": "https://hooks.example.test/x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["organization"]


def test_patch_changes_events_and_deactivate_stops_it(buyer_org, buyer_admin, client_for):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url="https://hooks.example.test/x")
    client = client_for(buyer_admin)

    response = client.patch(
        f"{ENDPOINTS}{endpoint.pk}/",
        {"events": ["report.issued", "incident.opened", "report.issued"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["events"] == ["incident.opened", "report.issued"]  # each once, in catalogue order

    response = client.post(f"{ENDPOINTS}{endpoint.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert client.post(f"{ENDPOINTS}{endpoint.pk}/deactivate/").status_code == 409
    assert client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"name": "x"}, content_type="application/json").status_code == 409
    verbs = list(AuditEntry.objects.filter(object_id=str(endpoint.pk)).values_list("verb", flat=True))
    assert {"webhook.endpoint_updated", "webhook.endpoint_deactivated"} <= set(verbs)


def test_another_organizations_endpoints_and_deliveries_are_404(
    buyer_org, buyer_admin, vendor_admin, buyer, client_for, receiver, eager, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(buyer_admin).post(f"{ENDPOINTS}{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get()

    for person in (vendor_admin, buyer):  # another organization's admin; a member who is not an admin
        client = client_for(person)
        assert client.get(f"{ENDPOINTS}{endpoint.pk}/").status_code == 404
        assert (
            client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"name": "x"}, content_type="application/json").status_code
            == 404
        )
        assert client.post(f"{ENDPOINTS}{endpoint.pk}/deactivate/").status_code == 404
        assert client.post(f"{ENDPOINTS}{endpoint.pk}/test/").status_code == 404
        assert client.get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
        assert client.post(f"{DELIVERIES}{delivery.pk}/redeliver/").status_code == 404
        assert client.get(ENDPOINTS).json()["count"] == 0
        assert client.get(DELIVERIES).json()["count"] == 0
    assert len(receiver.requests) == 1
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.name != "x"


def test_send_test_and_redeliver(
    buyer_org, buyer_admin, client_for, receiver, eager, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    client = client_for(buyer_admin)
    receiver.script = [400]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{ENDPOINTS}{endpoint.pk}/test/")
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.status, delivery.response_code) == ("webhook.test", "failed", 400)
    assert receiver.requests[0].headers["Covenant-Event"] == "webhook.test"
    assert receiver.requests[0].json()["title"] == "Test event from Covenant"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{DELIVERIES}{delivery.pk}/redeliver/")
    assert response.status_code == 202
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert receiver.requests[0].body == receiver.requests[1].body
    assert AuditEntry.objects.filter(verb="webhook.redelivered", object_id=str(delivery.pk)).exists()
    assert AuditEntry.objects.filter(verb="webhook.test_sent").exists()

    listed = client.get(DELIVERIES, {"endpoint": endpoint.pk, "status": "delivered"}).json()
    assert [d["id"] for d in listed["results"]] == [delivery.pk]
    assert client.get(DELIVERIES, {"status": "failed"}).json()["count"] == 0
    assert list(client.get(DELIVERIES, {"status": "lost"}).json()["errors"]) == ["status"]
    assert list(client.get(DELIVERIES, {"endpoint": "abc"}).json()["errors"]) == ["endpoint"]


def _grow(endpoint: WebhookEndpoint, organization, admin, n: int, start: int) -> None:
    for i in range(start, start + n):
        make_endpoint(actor=admin, organization=organization, url=f"https://hooks.example.test/{i}", name=f"h{i}")
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=f"evt_{i}", event="incident.opened", payload={"id": f"evt_{i}"}
        )


@pytest.mark.parametrize("url", [ENDPOINTS, DELIVERIES])
def test_list_query_count_is_constant(buyer_org, buyer_admin, client_for, django_assert_num_queries, url):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url="https://hooks.example.test/0")
    client = client_for(buyer_admin)
    _grow(endpoint, buyer_org, buyer_admin, 1, 1)
    with CaptureQueriesContext(connection) as small:
        first = client.get(url).json()["count"]

    _grow(endpoint, buyer_org, buyer_admin, 5, 2)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.json()["count"] == first + 5
