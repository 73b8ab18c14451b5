"""`manage.py setup_schedules` (run by `make run`) writes beat's periodic tasks from
config/schedules.py, idempotently, and every scheduled task name is a real task."""

import importlib

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_it_writes_every_schedule_once_and_each_names_a_registered_task():
    call_command("setup_schedules")
    call_command("setup_schedules")  # idempotent
    names = {spec["name"] for spec in settings.COVENANT_SCHEDULES}
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= names
    assert PeriodicTask.objects.filter(name__in=names).count() == len(names)

    from config.celery import app

    for task in PeriodicTask.objects.filter(name__in=names).values_list("task", flat=True):
        importlib.import_module(task.rsplit(".", 1)[0])
        assert task in app.tasks, task
