"""Task names follow their modules: outbox rows waiting for the broker and beat's
periodic tasks written before the move keep working after it."""

from django.db import migrations
from django.utils import timezone

# Order matters: reviews.tasks became reports.tasks before reviews.tasks_annual became reviews.tasks.
RENAMES = [
    ("reviews.tasks.", "reports.tasks."),
    ("reviews.tasks_annual.", "reviews.tasks."),
    ("reviews.tasks_disputes.", "disputes.tasks."),
    ("incidents.tasks_availability.", "availability.tasks."),
]


def _rename(apps, pairs):
    for model in (apps.get_model("outbox", "OutboxMessage"), apps.get_model("django_celery_beat", "PeriodicTask")):
        for old, new in pairs:
            for row in model.objects.filter(task__startswith=old).only("pk", "task"):
                model.objects.filter(pk=row.pk).update(task=new + row.task[len(old) :])


def _tell_beat(apps):
    """A bulk update fires no signal: bump beat's change marker so a running beat reloads its schedule."""
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def forwards(apps, schema_editor):
    _rename(apps, RENAMES)
    _tell_beat(apps)


def backwards(apps, schema_editor):
    _rename(apps, [(new, old) for old, new in reversed(RENAMES)])
    _tell_beat(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0002_dispute_links"),
        ("reports", "0001_initial"),
        ("availability", "0001_initial"),
        ("reviews", "0004_move_reports_disputes_scenarios_out"),
        ("outbox", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
