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
    notification = notify(users=[buyer], verb="test.worker", title="Through the broker", body="Hello")[0]
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
