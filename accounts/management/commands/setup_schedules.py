from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Create or update Celery beat's periodic tasks from config/schedules.py (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        names = []
        for spec in settings.COVENANT_SCHEDULES:
            defaults: dict[str, Any] = {"task": spec["task"], "enabled": True, "interval": None, "crontab": None}
            if "every" in spec:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=spec["every"], period=IntervalSchedule.SECONDS
                )
            else:
                minute, hour, dom, month, dow = spec["crontab"].split()
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow, timezone="UTC"
                )
            PeriodicTask.objects.update_or_create(name=spec["name"], defaults=defaults)
            names.append(spec["name"])
        stale = PeriodicTask.objects.exclude(name__in=names).exclude(name__startswith="celery.")
        removed = stale.count()
        stale.delete()
        self.stdout.write(f"Schedules: {len(names)} in place, {removed} removed.")
