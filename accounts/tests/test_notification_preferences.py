"""The notification preferences page (/accounts/notifications/preferences/)
and API (GET/PUT /api/notifications/preferences/)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import events as catalogue
from accounts import notifications
from accounts.models import NotificationPreference
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PAGE = "/accounts/notifications/preferences/"
API = "/api/notifications/preferences/"


def choose(user, count: int) -> None:
    """``count`` stored preferences (non-critical events) for the person."""
    keys = [e.key for e in catalogue.EVENTS.values() if not e.critical][:count]
    notifications.preferences_update(actor=user, user=user, changes=dict.fromkeys(keys, "digest"))


# -- page -----------------------------------------------------------------------------------------


def test_the_page_groups_the_catalogue_with_labelled_radios(client_for, buyer):
    page = client_for(buyer).get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    for group in catalogue.GROUPS:
        assert f"<legend>{group}</legend>" in html
    assert html.count('type="radio"') == 3 * len(catalogue.EVENTS)
    assert html.count("<label><input") == 3 * len(catalogue.EVENTS)  # each radio inside its label
    assert 'name="incident.opened" value="immediately" checked' in html
    assert "disabled" not in html  # a buyer is not on call


def test_saving_the_page_changes_only_what_was_sent(client_for, buyer):
    response = client_for(buyer).post(PAGE, {"credit.changed": "digest", "review.commented": "off"})
    assert response.status_code == 302
    stored = dict(NotificationPreference.objects.filter(user=buyer).values_list("event", "delivery"))
    assert stored == {"credit.changed": "digest", "review.commented": "off"}
    entry = AuditEntry.objects.get(verb="notification_preferences.updated")
    assert entry.changes == {"credit.changed": ["immediately", "digest"], "review.commented": ["immediately", "off"]}
    assert 'name="credit.changed" value="digest" checked' in client_for(buyer).get(PAGE).content.decode()


def test_an_on_call_person_sees_critical_events_locked_and_cannot_post_around_it(client_for, vendor_engineer):
    client = client_for(vendor_engineer)
    html = client.get(PAGE).content.decode()
    assert 'name="incident.opened" value="off" disabled' in html
    assert "Always immediately for on-call roles." in html

    refused = client.post(PAGE, {"incident.opened": "off", "credit.changed": "off"})
    assert refused.status_code == 400
    assert "incident.opened" in refused.content.decode()
    assert not NotificationPreference.objects.exists()  # all or nothing


def test_the_page_needs_a_login():
    assert Client().get(PAGE).status_code == 302


@pytest.mark.parametrize("stored", [1, 20])
def test_the_page_costs_the_same_queries_with_few_or_many_preferences(
    client_for, buyer, stored, django_assert_max_num_queries
):
    client = client_for(buyer)
    choose(buyer, stored)
    client.get(PAGE)  # warm: templates
    # session, person, preferences, on-call memberships, and the base layout's own (at most two)
    with django_assert_max_num_queries(6):
        assert client.get(PAGE).status_code == 200


def test_the_page_query_count_does_not_grow_with_preferences(client_for, buyer, count_queries):
    client = client_for(buyer)
    choose(buyer, 1)
    client.get(PAGE)
    few = count_queries(lambda: client.get(PAGE))
    choose(buyer, 20)
    assert count_queries(lambda: client.get(PAGE)) == few


# -- API ------------------------------------------------------------------------------------------


def test_get_lists_every_event_with_its_delivery(client_for, buyer):
    choose(buyer, 1)
    body = client_for(buyer).get(API).json()
    rows = {row["event"]: row for row in body["preferences"]}
    assert list(rows) == list(catalogue.EVENTS)
    first = next(e for e in catalogue.EVENTS.values() if not e.critical)
    assert rows[first.key]["delivery"] == "digest"
    assert rows["incident.opened"] == {
        "event": "incident.opened",
        "name": "Incident opened",
        "group": "Incidents",
        "critical": True,
        "locked": False,
        "delivery": "immediately",
    }


def test_put_changes_the_named_events(client_for, buyer):
    response = client_for(buyer).put(
        API,
        {
            "preferences": [
                {"event": "credit.changed", "delivery": "off"},
                {"event": "incident.opened", "delivery": "digest"},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    rows = {row["event"]: row["delivery"] for row in response.json()["preferences"]}
    assert (rows["credit.changed"], rows["incident.opened"], rows["report.issued"]) == ("off", "digest", "immediately")


def test_put_refuses_bad_input_with_the_field_and_the_rule(client_for, buyer, vendor):
    client = client_for(buyer)
    unknown = client.put(API, {"preferences": [{"event": "nope", "delivery": "off"}]}, content_type="application/json")
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["nope"]
    bad = client.put(
        API, {"preferences": [{"event": "credit.changed", "delivery": "weekly"}]}, content_type="application/json"
    )
    assert bad.status_code == 400 and "delivery" in bad.content.decode()
    missing = client.put(API, {}, content_type="application/json")
    assert missing.status_code == 400 and "preferences" in missing.content.decode()

    critical = client_for(vendor).put(
        API, {"preferences": [{"event": "incident.escalated", "delivery": "off"}]}, content_type="application/json"
    )
    assert critical.status_code == 400
    assert "incident.escalated" in critical.json()["detail"]
    assert critical.json()["errors"] == {"incident.escalated": ["Critical for on-call roles: must stay immediately."]}
    assert not NotificationPreference.objects.exists()


def test_the_api_needs_a_login_and_shows_only_your_own(client_for, buyer, vendor):
    assert Client().get(API).status_code in (401, 403)
    choose(buyer, 3)
    rows = client_for(vendor).get(API).json()["preferences"]
    assert {row["delivery"] for row in rows} == {"immediately"}


@pytest.mark.parametrize("stored", [1, 20])
def test_the_api_costs_the_same_queries_with_few_or_many_preferences(
    client_for, buyer, stored, django_assert_num_queries
):
    client = client_for(buyer)
    choose(buyer, stored)
    client.get(API)
    with django_assert_num_queries(4):  # session, person, preferences, on-call memberships
        assert client.get(API).status_code == 200
