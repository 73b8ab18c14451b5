"""The Celery pipeline, run eagerly: due closes fan out, each walks its
PeriodClose row through its stages; failures retry and end with staff told;
the reconciler finishes what a dead worker left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Notification
from core.checksum import checksum
from reports import tasks
from reports.models import Credit, PeriodClose, ServiceReport
from reports.services import close_period
from reports.services.reports import _period, close_row
from reports.tests.factories import add_outage, at, downtime_for

S = PeriodClose.State


@pytest.fixture
def october(contract):
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    return _period(contract, "2026-10")


def test_beat_fans_out_on_the_due_day_and_the_task_runs_every_stage(
    contract, october, buyer, vendor, staff, clock, eager, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    clock.set(datetime(2026, 11, 4, 23, 0, tzinfo=UTC))  # report_due_day is the 5th
    assert tasks.enqueue_due_closes(clock.now) == []
    assert not PeriodClose.objects.exists()

    stages: list[str] = []
    real_advance, real_close = tasks._advance, tasks.close_period

    def record_advance(row, to, **kwargs):
        stages.append(to)
        real_advance(row, to, **kwargs)

    def record_close(**kwargs):
        stages.append(PeriodClose.objects.get().state)  # claimed: computing
        return real_close(**kwargs)

    monkeypatch.setattr(tasks, "_advance", record_advance)
    monkeypatch.setattr(tasks, "close_period", record_close)
    clock.set(datetime(2026, 11, 5, 0, 7, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.close_due_periods()

    assert result == {"enqueued": 1}
    assert stages == [S.COMPUTING, S.RENDERING, S.STORED, S.DELIVERED]
    row = PeriodClose.objects.get()
    assert (row.period, row.state, row.attempts, row.claimed_at) == ("2026-10", S.DELIVERED, 1, None)
    report = ServiceReport.objects.get()
    assert report.pdf_sha256 and report.checksum == checksum(report.snapshot)
    # Both parties' managers: an email with the PDF and an in-app notification each.
    assert sorted(m.to[0] for m in mailoutbox) == [buyer.email, vendor.email]
    name, content, mimetype = mailoutbox[0].attachments[0]
    assert name == "C-1-service-report-2026-10-r1.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert "Credits due:        EUR 1,000.00" in mailoutbox[0].body
    assert set(Notification.objects.filter(event="report.issued").values_list("user__username", flat=True)) == {
        "buyer",
        "vendor",
    }

    # Idempotent: beat again the same day, or the task again, does nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_periods() == {"enqueued": 0}
    assert tasks.close_contract_period.apply(args=[row.pk]).get() == "skipped"
    assert ServiceReport.objects.count() == 1 and len(mailoutbox) == 2


def test_pdf_failure_keeps_the_snapshot_retries_then_fails_and_tells_staff(
    contract, october, staff, buyer, clock, eager, monkeypatch, mailoutbox
):
    row = close_row(contract, october)
    calls = []

    def broken(report):
        calls.append(report.pk)
        raise OSError("WeasyPrint could not load a font")

    monkeypatch.setattr("reports.services.publish.render_report_pdf", broken)

    tasks.close_contract_period.apply(args=[row.pk])

    row.refresh_from_db()
    assert row.state == S.FAILED
    assert row.attempts == tasks.MAX_RETRIES + 1 == len(calls)
    assert "could not load a font" in row.last_error
    report = ServiceReport.objects.get()  # the snapshot was computed once and kept
    assert not report.pdf and report.checksum == checksum(report.snapshot)
    assert Credit.objects.filter(report=report).count() == 1
    alert = Notification.objects.get(event="report.close_failed", user=staff)  # every staff member is told
    assert "snapshot is computed and kept" in alert.body
    assert "close_period --period 2026-10 --contract C-1" in alert.body
    assert mailoutbox == []  # nothing was delivered without its PDF

    # Once the fault is fixed, staff re-run it: it resumes at the PDF, no second report.
    monkeypatch.undo()
    assert tasks.run_close(row.pk, revive=True) == "delivered"
    assert ServiceReport.objects.count() == 1
    row.refresh_from_db()
    assert row.state == S.DELIVERED


def test_reconciler_finishes_a_close_stuck_in_computing_with_exactly_one_report(
    contract, october, buyer, vendor, clock, eager, django_capture_on_commit_callbacks
):
    # A worker died after writing the report but before moving on: the row
    # still says computing and holds a claim nobody will release.
    close_period(contract=contract, period="2026-10", now=clock.now)
    row = close_row(contract, october)
    dead_at = clock.now - timedelta(hours=1)
    PeriodClose.objects.filter(pk=row.pk).update(state=S.COMPUTING, claimed_at=dead_at, updated_at=dead_at)
    # And a close claimed a moment ago by a live worker is left alone.
    other = PeriodClose.objects.create(
        contract=contract,
        period="2026-09",
        period_start=datetime(2026, 9, 1, tzinfo=UTC),
        period_end=datetime(2026, 10, 1, tzinfo=UTC),
        state=S.COMPUTING,
        claimed_at=clock.now - timedelta(seconds=30),
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.reconcile_period_closes()

    assert result == {"reenqueued": 1}
    row.refresh_from_db()
    assert row.state == S.DELIVERED
    assert ServiceReport.objects.filter(period="2026-10").count() == 1
    assert ServiceReport.objects.get(period="2026-10").pdf_sha256
    other.refresh_from_db()
    assert other.state == S.COMPUTING
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reconcile_period_closes() == {"reenqueued": 0}


def test_a_claim_is_taken_once(contract, october, clock):
    row = close_row(contract, october)
    assert tasks.claim(row.pk, now=clock.now) is not None
    assert tasks.claim(row.pk, now=clock.now) is None  # held by a live worker
    later = clock.now + timedelta(seconds=tasks.CLOSE_TIME_LIMIT + 1)
    assert tasks.claim(row.pk, now=later) is not None  # the holder died: taken over
