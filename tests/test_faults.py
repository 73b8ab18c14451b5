"""Fault injection: a broker outage, and the database refusing a write in the
middle of a service."""

import time
from datetime import timedelta

import pytest
from django.db import connection

from accounts.models import Notification
from accounts.services import notify
from audit.models import AuditEntry
from audit.services import verify_chain
from incidents import services as incident_services
from incidents.models import Incident
from outbox.models import OutboxMessage
from outbox.services import flush


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_keeps_pages_working_commits_changes_and_runs_the_work_later(
    worker, broker_down, buyer, client_for
):
    from contracts.tests.factories import make_contract

    contract = make_contract(buyer=buyer.memberships.get().organization, vendor=_vendor(), reference="C-OUT")
    client = client_for(buyer)
    assert client.get("/incidents/").status_code == 200
    assert client.get("/api/contracts/").status_code == 200
    assert client.get(f"/contracts/{contract.pk}/").status_code == 200

    start = time.monotonic()
    notification = notify(users=[buyer], event="incident.commented", title="Sent during an outage")[0]
    assert time.monotonic() - start < 1  # the request never waits on the broker: the relay thread publishes
    assert Notification.objects.filter(pk=notification.pk).exists()  # the change committed
    message = OutboxMessage.objects.get(task="accounts.tasks.email_notifications")
    deadline = time.monotonic() + 30
    while not message.last_error and time.monotonic() < deadline:
        time.sleep(0.1)
        message.refresh_from_db()
    assert message.sent_at is None and message.attempts >= 1
    assert "connect" in message.last_error.lower()  # refused by the network, not some other failure

    broker_down()  # the broker is back: the relay's next try, or beat's flush, publishes it
    flush(older_than=timedelta(0))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists():
            break
        time.sleep(0.5)
    else:
        pytest.fail("the held-back task did not run after the broker came back")
    message.refresh_from_db()
    assert message.sent_at is not None


def _vendor():
    from accounts.models import Organization
    from accounts.tests.factories import OrganizationFactory

    return OrganizationFactory(name="Fault Vendor", slug="fault-vendor", kind=Organization.Kind.VENDOR)


@pytest.mark.django_db(transaction=True)
def test_a_write_refused_mid_service_leaves_nothing_partial_and_the_chain_valid(buyer, buyer_org, vendor_org):
    from contracts.tests.factories import make_contract

    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-DBF")
    audit_before = AuditEntry.objects.count()
    # The database refuses the timeline insert that open_incident makes after
    # inserting the incident row itself.
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'disk full (injected)'; END; $$ LANGUAGE plpgsql"
            )
            cur.execute(
                "CREATE TRIGGER refuse_event BEFORE INSERT ON incidents_incidentevent "
                "FOR EACH ROW EXECUTE FUNCTION refuse_write()"
            )
        else:
            cur.execute(
                "CREATE TRIGGER refuse_event BEFORE INSERT ON incidents_incidentevent "
                "BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"
            )
    try:
        with pytest.raises(Exception, match="disk full"):
            incident_services.open_incident(
                actor=buyer, contract=contract, title="X", severity="high", environment="production", component="api"
            )
    finally:
        with connection.cursor() as cur:
            cur.execute(
                "DROP TRIGGER IF EXISTS refuse_event"
                + (" ON incidents_incidentevent" if connection.vendor == "postgresql" else "")
            )
    assert not Incident.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    assert verify_chain().ok
    # And the same call succeeds once the database accepts writes again.
    incident_services.open_incident(
        actor=buyer, contract=contract, title="X", severity="high", environment="production", component="api"
    )
    assert Incident.objects.count() == 1
    assert verify_chain().ok
