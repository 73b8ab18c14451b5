"""Renewal reminders: at each milestone before the notice deadline the
buyer's contract managers get an email with the reminder PDF attached, once
per contract and milestone even if the task runs twice; a missed run is
caught up by the next. The emails leave after commit through the outbox, so
each run here executes its commit callbacks with Celery in-process."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.test import TestCase
from pypdf import PdfReader

from accounts.models import Notification
from audit.models import AuditEntry
from outbox.models import OutboxMessage
from reports.tests.ledger_factories import make_credit, make_report
from reviews.models import RenewalReminder
from reviews.services import renewals
from reviews.tasks import email_renewal_reminder
from reviews.tasks import send_renewal_reminders as beat_task

DEADLINE = date(2027, 9, 2)  # the factory contract: term ends 31 Dec 2027, 120 days' notice


@pytest.fixture
def contract(buyer_org, vendor_org):
    from contracts.tests.factories import make_contract

    return make_contract(buyer=buyer_org, vendor=vendor_org, notice_period_days=120, auto_renew=True)


pytestmark = pytest.mark.usefixtures("eager")


def send_renewal_reminders() -> int:
    """The beat task, then what its commit publishes: the emails."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return beat_task()


def days_before(n: int) -> datetime:
    return datetime.combine(DEADLINE - timedelta(days=n), datetime.min.time(), tzinfo=UTC).replace(hour=5, minute=30)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_reminder_at_30_days_goes_out_once_with_the_pdf_attached(contract, buyer, buyer_ops, vendor, clock):
    assert contract.notice_deadline == DEADLINE
    report = make_report(contract, "2027-07")
    make_credit(report, amount="500.00")
    clock.set(days_before(30))

    assert send_renewal_reminders() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [buyer.email]  # the buyer's contract managers only
    assert "Notice deadline for C-1 in 30 days: 2 Sep 2027" in message.subject
    ((filename, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and filename == "C-1-renewal-notice-2027-09-02-30d.pdf"
    text = pdf_text(content)
    assert "Notice deadline: 2 September 2027" in text
    assert "30 days left" in text
    assert "renews automatically" in text
    assert "EUR 500.00 not yet applied" in text  # credits owed: the buyer's leverage

    assert send_renewal_reminders() == 0  # the task runs again
    clock.advance(days=1)
    assert send_renewal_reminders() == 0  # and the next day
    assert len(mail.outbox) == 1
    row = RenewalReminder.objects.get(milestone=30)
    assert row.sent_at is not None and row.days_left == 30 and row.recipients == [buyer.email]
    assert row.pdf_sha256 and row.pdf.name.endswith(".pdf")
    # The earlier milestones were never sent (the contract was new to the task): superseded, not sent late.
    assert set(RenewalReminder.objects.filter(superseded=True).values_list("milestone", flat=True)) == {120, 90, 60}
    assert Notification.objects.filter(user=buyer, event="renewal.milestone").count() == 1
    assert not Notification.objects.filter(user=vendor, event="renewal.milestone").exists()
    assert not Notification.objects.filter(user=buyer_ops, event="renewal.milestone").exists()
    assert AuditEntry.objects.filter(verb="renewal.reminder_sent", contract_id=contract.pk).count() == 1


def test_each_milestone_goes_out_once_as_the_deadline_nears(contract, buyer, clock):
    sent = []
    for n in range(130, -3, -1):
        clock.set(days_before(n))
        before = len(mail.outbox)
        send_renewal_reminders()
        send_renewal_reminders()  # twice a day: nothing twice
        sent += [n] * (len(mail.outbox) - before)
    assert sent == [120, 90, 60, 30, 7]
    assert not RenewalReminder.objects.filter(superseded=True).exists()


def test_a_missed_run_is_caught_up_by_the_next(contract, buyer, clock):
    clock.set(days_before(120))
    send_renewal_reminders()
    clock.set(days_before(58))  # down from 119 to 59 days before: 90 and 60 were missed
    assert send_renewal_reminders() == 1
    last = mail.outbox[-1]
    assert "in 58 days" in last.subject
    assert pdf_text(last.attachments[0][1]).count("58 days left") == 1
    rows = {r.milestone: r for r in RenewalReminder.objects.all()}
    assert rows[60].sent_at and not rows[60].superseded
    assert rows[90].superseded and rows[90].sent_at is None  # not sent late
    assert len(mail.outbox) == 2


def test_a_run_that_died_before_sending_is_finished_by_a_later_one(contract, buyer, clock):
    clock.set(days_before(30))
    claimed = renewals.claim_due(today=clock.now.date(), now=clock.now)  # ... and the worker died here
    assert [r.milestone for r in claimed] == [30]
    assert renewals.claim_due(today=clock.now.date(), now=clock.now) == []  # a concurrent run finds it taken
    assert send_renewal_reminders() == 0  # too early to take over
    clock.advance(minutes=20)
    assert send_renewal_reminders() == 1
    assert send_renewal_reminders() == 0
    assert len(mail.outbox) == 1


def test_milestones_are_a_setting(contract, buyer, clock, settings):
    settings.COVENANT_RENEWAL_MILESTONES = "45, 10"
    assert renewals.milestones() == (45, 10)
    clock.set(days_before(30))
    send_renewal_reminders()
    assert list(RenewalReminder.objects.values_list("milestone", "superseded")) == [(45, False)]


def test_a_new_term_gets_its_own_reminders(contract, buyer, clock):
    from accounts.tests.factories import UserFactory
    from contracts import services as contract_services

    clock.set(days_before(7))
    send_renewal_reminders()
    staff = UserFactory(username="renewing-staff", is_staff=True)
    contract_services.contract_update(actor=staff, contract=contract, term_end=date(2028, 12, 31))
    contract.refresh_from_db()
    assert contract.notice_deadline == date(2028, 9, 2)
    clock.set(datetime(2028, 5, 5, 5, 30, tzinfo=UTC))  # 120 days before the new deadline
    send_renewal_reminders()
    assert RenewalReminder.objects.filter(term_end=date(2028, 12, 31), milestone=120, sent_at__isnull=False).exists()


def test_due_milestone():
    marks = (120, 90, 60, 30, 7)
    assert renewals.due_milestone(121, set(), marks) == (None, [])
    assert renewals.due_milestone(120, set(), marks) == (120, [])
    assert renewals.due_milestone(58, {120}, marks) == (60, [90])
    assert renewals.due_milestone(58, {120, 90, 60}, marks) == (None, [])
    assert renewals.due_milestone(-1, set(), marks) == (None, [])


def test_the_email_leaves_after_commit_once_and_a_failed_send_is_retried(contract, buyer, clock, monkeypatch):
    clock.set(days_before(30))
    with TestCase.captureOnCommitCallbacks(execute=False) as published:
        assert beat_task() == 1
    # Only outbox rows (the mail task, and the buyer's webhooks when installed) wait for the commit; no mail inside.
    assert len(published) == OutboxMessage.objects.count() >= 1 and mail.outbox == []
    row = RenewalReminder.objects.get(milestone=30)
    note = Notification.objects.get(user=buyer, event="renewal.milestone")
    assert row.sent_at is not None and row.pdf and note.emailed_at is None
    message = OutboxMessage.objects.get(task="reviews.tasks.email_renewal_reminder")
    assert message.args == [row.pk, [note.pk]]

    def refused(*args, **kwargs):
        raise OSError("mail server down")

    send = renewals.send_templated
    monkeypatch.setattr(renewals, "send_templated", refused)
    with pytest.raises(OSError):
        email_renewal_reminder(*message.args)
    note.refresh_from_db()
    assert note.emailed_at is None and mail.outbox == []  # still owed: a retry sends it
    monkeypatch.setattr(renewals, "send_templated", send)

    assert email_renewal_reminder(*message.args) == 1
    assert email_renewal_reminder(*message.args) == 0  # published twice: mailed once
    ((filename, content, _),) = mail.outbox[0].attachments
    assert filename == renewals.reminder_filename(row) and "30 days left" in pdf_text(content)
    note.refresh_from_db()
    assert note.emailed_at is not None
