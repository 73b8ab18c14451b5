"""Preferences govern the mail (immediately, daily digest, off; critical
events stay on for on-call people), the digest goes once, every mail carries
a signed unsubscribe link that works without a login, and contract contacts
without a login get their events by mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts import notifications
from accounts.models import ContactNotification, ContactOptOut, Notification, NotificationPreference
from accounts.tasks import send_digests
from contracts import services as contract_services
from core.errors import InvalidInput
from incidents import services as incidents

pytestmark = pytest.mark.django_db
Delivery = NotificationPreference.Delivery


@pytest.fixture
def eager(settings):
    """Tasks run in-process when the outbox publishes them, as a worker would."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def committed(eager, django_capture_on_commit_callbacks):
    """Run the block as a committed use case: its mail tasks run after it."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return run


def tell(users, event="credit.changed", title="Credit approved", **kwargs):
    return notifications.notify(users=users, event=event, title=title, body="EUR 1,000.00", url="/ledger/", **kwargs)


def unsubscribe_link(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    url = header[1:-1]
    assert url in message.body  # the text part shows it too
    assert url in message.alternatives[0][0]  # and the HTML part
    return urlsplit(url).path


# -- preferences ----------------------------------------------------------------------------------


def test_off_writes_the_row_but_mails_nothing(buyer, buyer_ops, committed, mailoutbox):
    notifications.preferences_update(actor=buyer, user=buyer, changes={"credit.changed": "off"})

    committed(lambda: tell([buyer, buyer_ops]))

    assert [m.to for m in mailoutbox] == [[buyer_ops.email]]
    mine = Notification.objects.get(user=buyer)
    assert (mine.mail, mine.emailed_at) == (Notification.Mail.NONE, None)
    assert mailoutbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_digest_collects_and_goes_once(buyer, buyer_ops, committed, mailoutbox):
    notifications.preferences_update(
        actor=buyer, user=buyer, changes={"credit.changed": "digest", "dispute.opened": "digest"}
    )
    committed(lambda: tell([buyer, buyer_ops], title="Credit approved"))
    committed(lambda: tell([buyer], event="dispute.opened", title="Dispute raised on C-1"))
    assert [m.to for m in mailoutbox] == [[buyer_ops.email]]  # nothing for the buyer yet

    assert send_digests() == 1
    assert send_digests() == 0  # a second run (a retry, a second beat) mails nobody twice

    digest = mailoutbox[1]
    assert digest.to == [buyer.email]
    assert digest.subject == "[Covenant] Your Covenant digest: 2 notifications"
    assert "Credit approved" in digest.body and "Dispute raised on C-1" in digest.body
    assert "Credit approved" in digest.alternatives[0][0]
    assert not Notification.objects.filter(user=buyer, emailed_at__isnull=True).exists()

    committed(lambda: tell([buyer], title="Credit applied"))
    assert send_digests() == 1
    assert "Credit applied" in mailoutbox[2].body and "Credit approved" not in mailoutbox[2].body


def test_a_failed_digest_is_sent_by_the_retry(buyer, committed, mailoutbox):
    notifications.preferences_update(actor=buyer, user=buyer, changes={"credit.changed": "digest"})
    committed(lambda: tell([buyer]))

    def broken(user, notes):
        raise OSError("SMTP refused")

    with pytest.raises(OSError):
        notifications.digest_send(user_id=buyer.pk, send=broken)
    assert Notification.objects.get(user=buyer).emailed_at is None  # the claim was released
    assert send_digests() == 1


def test_an_urgent_event_skips_the_digest_but_not_off(buyer, buyer_ops, committed, mailoutbox):
    notifications.preferences_update(actor=buyer, user=buyer, changes={"credit.changed": "digest"})
    notifications.preferences_update(actor=buyer_ops, user=buyer_ops, changes={"credit.changed": "off"})

    committed(lambda: tell([buyer, buyer_ops], urgent=True))

    assert [m.to for m in mailoutbox] == [[buyer.email]]


def test_on_call_people_cannot_silence_a_critical_event(vendor_engineer, buyer):
    with pytest.raises(InvalidInput) as refused:
        notifications.preferences_update(
            actor=vendor_engineer, user=vendor_engineer, changes={"incident.opened": "off"}
        )
    assert "incident.opened" in refused.value.message
    assert refused.value.errors == {"incident.opened": ["Critical for on-call roles: must stay immediately."]}
    with pytest.raises(InvalidInput, match="incident.escalated"):
        notifications.preferences_update(
            actor=vendor_engineer, user=vendor_engineer, changes={"incident.escalated": "digest"}
        )
    assert not NotificationPreference.objects.exists()

    # A buyer is not on call for the vendor: critical or not, it is their choice.
    notifications.preferences_update(actor=buyer, user=buyer, changes={"incident.opened": "off"})
    assert NotificationPreference.objects.get(user=buyer).delivery == Delivery.OFF


def test_a_preference_from_before_an_on_call_role_does_not_silence_a_critical_event(vendor_org, committed, mailoutbox):
    from accounts.models import Membership
    from accounts.tests.factories import member

    person = member("new-engineer", vendor_org, Membership.Role.VIEWER)
    notifications.preferences_update(actor=person, user=person, changes={"incident.opened": "off"})
    Membership.objects.filter(user=person).update(role=Membership.Role.SUPPORT_ENGINEER)

    committed(lambda: tell([person], event="incident.opened", title="P1 opened"))

    assert [m.to for m in mailoutbox] == [[person.email]]


def test_unknown_events_and_deliveries_are_refused_by_name(buyer):
    with pytest.raises(InvalidInput) as refused:
        notifications.preferences_update(
            actor=buyer, user=buyer, changes={"incident.nope": "off", "credit.changed": "weekly"}
        )
    assert set(refused.value.errors) == {"incident.nope", "credit.changed"}
    with pytest.raises(KeyError, match="incident.nope"):
        notifications.notify(users=[buyer], event="incident.nope", title="x")


# -- unsubscribe links ----------------------------------------------------------------------------


def test_the_unsubscribe_link_works_without_a_login(buyer, committed, mailoutbox):
    committed(lambda: tell([buyer]))
    path = unsubscribe_link(mailoutbox[0])
    anonymous = Client()

    page = anonymous.get(path)
    assert page.status_code == 200 and "Credit status changed" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # a GET (a link scanner) changes nothing

    assert anonymous.post(path).status_code == 200
    assert NotificationPreference.objects.get(user=buyer, event="credit.changed").delivery == Delivery.OFF

    committed(lambda: tell([buyer]))
    assert len(mailoutbox) == 1


def test_a_tampered_link_is_refused(buyer, committed, mailoutbox):
    committed(lambda: tell([buyer]))
    path = unsubscribe_link(mailoutbox[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    assert Client().post(forged).status_code == 400
    assert Client().get("/accounts/notifications/unsubscribe/not-a-token/").status_code == 400
    assert not NotificationPreference.objects.exists()


def test_an_on_call_person_is_told_why_a_critical_event_stays_on(vendor_engineer, committed, mailoutbox):
    committed(lambda: tell([vendor_engineer], event="incident.opened", title="P1 opened"))
    path = unsubscribe_link(mailoutbox[0])

    page = Client().post(path)

    text = page.content.decode()
    assert page.status_code == 200
    assert "cannot be turned off" in text and "/accounts/notifications/preferences/" in text
    assert not NotificationPreference.objects.exists()


def test_report_mails_carry_the_link_too(buyer):
    # Callers that send their own mail (a PDF attached) put the same link in it.
    (note,) = tell([buyer], email=False)
    url = notifications.unsubscribe_url_for(note)
    assert notifications.unsubscribe_read(url.rstrip("/").rsplit("/", 1)[1]).events == ["credit.changed"]


# -- contacts without a login ---------------------------------------------------------------------


@pytest.fixture
def desk(staff, contract):
    """The vendor's incident desk and escalation line: addresses on the contract, no login."""
    for role, email in [("incident_manager", "desk@acme.test"), ("escalation_contact", "oncall@acme.test")]:
        contract_services.contact_add(actor=staff, contract=contract, side="vendor", role=role, name=role, email=email)
    contract_services.contact_add(
        actor=staff, contract=contract, side="vendor", role="billing", name="Billing", email="billing@acme.test"
    )
    contract_services.contact_add(
        actor=staff, contract=contract, side="buyer", role="incident_manager", name="Buyer desk", email="d@nw.test"
    )
    return contract


def open_incident(buyer, contract):
    return incidents.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )


def test_contacts_without_a_login_get_their_events_by_mail(buyer, vendor, desk, committed, mailoutbox):
    incident = committed(lambda: open_incident(buyer, desk))

    contact_mails = {m.to[0]: m for m in mailoutbox if m.to[0].endswith("@acme.test")}
    # The incident desk and the escalation line; not billing, not the buyer's own desk (the event is the vendor's).
    assert set(contact_mails) == {"desk@acme.test", "oncall@acme.test"}
    message = contact_mails["desk@acme.test"]
    assert incident.reference in message.subject
    assert f"/incidents/{incident.pk}/" in message.body
    html = message.alternatives[0]
    assert html[1] == "text/html" and incident.reference in html[0]
    assert "you are a contact on this contract" in message.body
    assert ContactNotification.objects.filter(emailed_at__isnull=False).count() == 2
    assert vendor.email in [m.to[0] for m in mailoutbox]  # people with a login: their own notification


def test_a_contact_who_has_a_login_is_not_mailed_twice(buyer, vendor, staff, contract, committed, mailoutbox):
    contract_services.contact_add(
        actor=staff, contract=contract, side="vendor", role="incident_manager", name="V", email=vendor.email.upper()
    )
    committed(lambda: open_incident(buyer, contract))
    assert [m.to[0] for m in mailoutbox].count(vendor.email) == 1
    assert not ContactNotification.objects.exists()


def test_a_contact_unsubscribes_from_one_event_on_one_contract(buyer, desk, committed, mailoutbox):
    committed(lambda: open_incident(buyer, desk))
    message = next(m for m in mailoutbox if m.to == ["desk@acme.test"])
    path = unsubscribe_link(message)

    assert "desk@acme.test" in Client().get(path).content.decode()
    assert Client().post(path).status_code == 200
    assert ContactOptOut.objects.filter(email="desk@acme.test", contract_id=desk.pk, event="incident.opened").exists()

    mailoutbox.clear()
    committed(lambda: open_incident(buyer, desk))
    assert "desk@acme.test" not in [m.to[0] for m in mailoutbox]
    assert "oncall@acme.test" in [m.to[0] for m in mailoutbox]


def test_the_token_names_only_what_it_was_signed_for():
    url = notifications._unsubscribe_url({"c": "a@b.test", "k": 1, "e": ["incident.opened"]})
    token = re.search(r"/unsubscribe/([^/]+)/$", url).group(1)
    assert notifications.unsubscribe_read(token).email == "a@b.test"
    with pytest.raises(InvalidInput):
        notifications.unsubscribe_read(token.replace(token[5], "x" if token[5] != "x" else "y", 1))
