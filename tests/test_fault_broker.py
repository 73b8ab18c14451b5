"""The fault suite: a real Redis (on its own port, append-only file as in
production) under a real prefork worker, against the test database. The broker
is stopped and started, frozen and thawed, and the worker is killed with -9 in
the middle of a period close, each more than once. Every enqueueing stays fast,
and every task runs, exactly once where its claim makes it idempotent.

Select with `-m faults`. Needs redis-server on PATH (it fails, never skips)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F

from accounts.models import Notification
from accounts.services import notify
from outbox.models import OutboxMessage

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST = 1.0  # seconds: what enqueueing may cost a request whatever the broker does
REPEAT = 2


def wait_for(what: str, done: Callable[[], bool], *, timeout: float = 60, worker=None) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if done():
            return time.monotonic() - start
        if worker is not None:
            assert worker.proc.poll() is None, f"the worker exited ({worker.proc.returncode}):\n{worker.text()[-3000:]}"
        time.sleep(0.1)
    tail = worker.text()[-3000:] if worker is not None else ""
    pytest.fail(f"{what} did not happen within {timeout} s\n{tail}")


def enqueue_two(users) -> tuple[float, list[Notification]]:
    """What a request does that tells two people something: two notifications, two mail tasks, commit."""
    start = time.monotonic()
    with transaction.atomic():
        first = notify(users=[users[0]], event="incident.commented", title="First")
        second = notify(users=[users[1]], event="incident.commented", title="Second")
    return time.monotonic() - start, [*first, *second]


def runs(worker, task: str) -> int:
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", worker.text()))


def mails_sent(worker) -> int:
    """What the mail task runs returned, summed: the mails that went out (a rerun returns 0)."""
    found = re.findall(
        r"Task accounts\.tasks\.email_notifications\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (\d+)", worker.text()
    )
    return sum(int(n) for n in found)


def assert_all_mailed_once(worker, notes: list[Notification]) -> None:
    ids = [n.pk for n in notes]
    wait_for(
        "the mail tasks",
        lambda: Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).count() == 0,
        worker=worker,
    )
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    # Each row published and run. A message the worker held unacknowledged when the broker went
    # away is delivered again (acks_late: at least once), so a task may run twice; the mail claim
    # makes the rerun send nothing. What must hold is one mail per notification.
    rows = OutboxMessage.objects.filter(task="accounts.tasks.email_notifications")
    wait_for("the runs to be logged", lambda: runs(worker, "accounts.tasks.email_notifications") >= rows.count())
    wait_for("the mails to be logged", lambda: mails_sent(worker) >= len(notes))
    assert mails_sent(worker) == len(notes)


@pytest.fixture
def two_people(buyer, vendor):
    return [buyer, vendor]


def test_a_stopped_broker_costs_requests_nothing_and_the_work_runs_once_it_is_back(fault_worker, two_people):
    redis = fault_worker_broker(fault_worker)
    notes: list[Notification] = []
    wait_for("the worker to start", lambda: "ready." in fault_worker.text(), worker=fault_worker)
    for _ in range(REPEAT):
        redis.stop()
        took, made = enqueue_two(two_people)
        notes += made
        assert took < FAST, f"enqueueing with the broker down took {took:.2f} s"
        wait_for("the relay to meet the refusal", lambda: OutboxMessage.objects.exclude(last_error="").exists())
        assert Notification.objects.filter(pk__in=[n.pk for n in made], emailed_at__isnull=True).count() == 2
        redis.start()
        assert_all_mailed_once(fault_worker, notes)
        OutboxMessage.objects.update(last_error="")
    assert "Unrecoverable error" not in fault_worker.text()


def test_a_frozen_broker_costs_requests_nothing_and_the_work_runs_once_it_thaws(fault_worker, two_people):
    redis = fault_worker_broker(fault_worker)
    notes: list[Notification] = []
    wait_for("the worker to start", lambda: "ready." in fault_worker.text(), worker=fault_worker)
    for _ in range(REPEAT):
        redis.freeze()
        try:
            took, made = enqueue_two(two_people)
            notes += made
            assert took < FAST, f"enqueueing with the broker frozen took {took:.2f} s"
            time.sleep(1)  # the relay is stuck on the frozen broker meanwhile, not the request
        finally:
            redis.thaw()
        assert_all_mailed_once(fault_worker, notes)
    assert "Unrecoverable error" not in fault_worker.text()


def test_a_broker_restart_under_a_held_message_keeps_the_worker_and_the_message(fault_worker, buyer):
    """The worker holds a message (a retry countdown) when Redis dies: it must
    neither exit nor wait out the visibility timeout to run it."""
    from config.celery import app

    redis = fault_worker_broker(fault_worker)
    wait_for("the worker to start", lambda: "ready." in fault_worker.text(), worker=fault_worker)
    for n in range(REPEAT):
        sent = app.send_task("accounts.tasks.ping", args=[n], countdown=4)
        wait_for("the worker to hold the message", lambda sent=sent: f"ping[{sent.id}] received" in fault_worker.text())
        redis.stop()
        time.sleep(0.5)
        redis.start()
        wait_for(
            "the held message to run", lambda n=n: runs(fault_worker, "accounts.tasks.ping") > n, worker=fault_worker
        )
    assert runs(fault_worker, "accounts.tasks.ping") == REPEAT
    assert "Unrecoverable error" not in fault_worker.text()


def test_a_close_killed_with_its_worker_is_finished_once_by_the_reconciler(fault_worker, contract, buyer, vendor):
    from reports import tasks
    from reports.models import PeriodClose, ServiceReport
    from reports.services.reports import _period, close_row
    from reports.tests.factories import add_outage, at, downtime_for

    S = PeriodClose.State
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    wait_for("the worker to start", lambda: "ready." in fault_worker.text(), worker=fault_worker)
    for label in ["2026-10", "2026-09"][:REPEAT]:
        row = close_row(contract, _period(contract, label))
        with transaction.atomic():
            from outbox.services import enqueue

            enqueue("reports.tasks.close_contract_period", row.pk)
        wait_for(
            "the close to start",
            lambda row=row: PeriodClose.objects.filter(pk=row.pk, claimed_at__isnull=False).exists(),
            worker=fault_worker,
        )
        fault_worker.kill()
        row.refresh_from_db()
        assert row.state != S.DELIVERED, "the close finished before the kill: nothing was tested"

        fault_worker.start()
        # The claim of the dead worker holds until CLOSE_TIME_LIMIT; the reconciler (beat, every minute) then
        # re-enqueues the close. Move the claim back by that time instead of waiting it out.
        back = timedelta(seconds=tasks.CLOSE_TIME_LIMIT + 1)
        assert tasks.reconcile_period_closes() == {"reenqueued": 0}  # a fresh claim is left alone
        PeriodClose.objects.filter(pk=row.pk).update(
            claimed_at=F("claimed_at") - back, updated_at=F("updated_at") - back
        )
        with transaction.atomic():
            assert tasks.reconcile_period_closes() == {"reenqueued": 1}
        wait_for(
            "the close to be finished",
            lambda row=row: PeriodClose.objects.filter(pk=row.pk, state=S.DELIVERED).exists(),
            worker=fault_worker,
            timeout=90,
        )
        assert ServiceReport.objects.filter(contract=contract, period=label).count() == 1
        assert ServiceReport.objects.get(contract=contract, period=label).pdf_sha256
    per_person = Notification.objects.filter(event="report.issued").values_list("user_id", flat=True)
    assert sorted(per_person) == sorted([buyer.pk, vendor.pk] * REPEAT)  # each told once per period


def fault_worker_broker(worker):
    """The RedisServer the fault_worker runs on (the fixture chain holds it)."""
    return worker.redis


def test_thresholds_recover_a_killed_close_within_minutes():
    from django.conf import settings

    from reports import tasks

    options = settings.COVENANT_REDIS_TRANSPORT_OPTIONS
    # A message is handed back only after the longest task could have finished (no live task runs twice)...
    assert options["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    # ... and a killed close is taken up by the reconciler within its time limit plus one reconcile period.
    from config.schedules import SCHEDULES

    every = {s["task"]: s.get("every") for s in SCHEDULES}
    assert tasks.CLOSE_TIME_LIMIT + every["reports.tasks.reconcile_period_closes"] <= 4 * 60
    assert every["outbox.tasks.flush_outbox"] <= 10
