"""A real task through a real worker process over the configured broker
(the filesystem transport by default, Redis in CI) against the test database."""

import time

import pytest
from django.conf import settings

from accounts.models import Notification
from accounts.services import notify


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_an_enqueued_task(worker, buyer):
    from config.celery import app

    # Notification mail travels on its own queue; the worker consumes every queue the settings name.
    assert app.amqp.router.route({}, "accounts.tasks.email_notifications")["queue"].name == "notifications"
    notification = notify(users=[buyer], event="incident.commented", title="Through the broker", body="Hello")[0]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists():
            break
        assert worker.poll() is None, "the worker died"
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not run the task within 90 s")

    if settings.CELERY_RESULT_BACKEND:
        from accounts.tasks import ping

        result = ping.delay(21).get(timeout=60)
        assert result == {"value": 42, "users": 1}


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("reports.tasks.close_contract_period", "reports"),
        ("reports.tasks.publish_report", "reports"),
        ("reviews.tasks.send_renewal_reminders", "reports"),
        ("accounts.tasks.email_notifications", "notifications"),
        ("reports.tasks.email_report", "notifications"),
        ("incidents.tasks.escalation_watch", "celery"),
        ("outbox.tasks.flush_outbox", "celery"),
    ],
)
def test_tasks_are_routed_to_the_queues_the_worker_consumes(task, queue):
    from config.celery import app

    assert app.amqp.router.route({}, task)["queue"].name == queue
    # `make run` starts one worker for every queue (bin/run), and so does the test worker fixture.
    run_script = (settings.BASE_DIR / "bin" / "run").read_text()
    consumed = run_script.split(" -Q ", 1)[1].split()[0].split(",")
    assert queue in settings.CELERY_QUEUE_NAMES
    assert sorted(consumed) == sorted(settings.CELERY_QUEUE_NAMES)
