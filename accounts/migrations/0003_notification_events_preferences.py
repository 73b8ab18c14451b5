from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

# The free-text verbs notify() was called with before the event catalogue
# (accounts/events.py), and the catalogue key each now is.
OLD_VERBS = {
    "credit.claimed": "credit.changed",
    "credit.approved": "credit.changed",
    "credit.applied": "credit.changed",
    "credit.disputed": "credit.changed",
    "credit.dispute_closed": "credit.changed",
    "credit.adjusted": "credit.changed",
    "report.ready": "report.issued",
    "renewal.reminder": "renewal.milestone",
    "dispute.escalated": "dispute.stage_changed",
    "dispute.resolved": "dispute.closed",
    "dispute.withdrawn": "dispute.closed",
    "annual_review.opened": "review.opened",
    "annual_review.circulated": "review.circulated",
    "annual_review.packet_changed": "review.circulated",
    "annual_review.awaiting_signature": "review.signature_requested",
    "annual_review.signature_voided": "review.signature_voided",
    "annual_review.signed": "review.signed",
    "annual_review.rejected": "review.rejected",
    "annual_review.closed": "review.rejected",
    "annual_review.amendment_proposed": "review.amendment_proposed",
    "annual_review.commented": "review.commented",
}


def verbs_to_events(apps, schema_editor):
    Notification = apps.get_model("accounts", "Notification")
    for old, new in OLD_VERBS.items():
        Notification.objects.filter(event=old).update(event=new)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_membership_is_admin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="notification", old_name="verb", new_name="event"),
        migrations.RunPython(verbs_to_events, migrations.RunPython.noop),
        migrations.AddField(
            model_name="notification",
            name="mail",
            field=models.CharField(
                choices=[("now", "Immediately"), ("digest", "In the daily digest"), ("none", "Not mailed")],
                default="now",
                max_length=6,
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=Q(("emailed_at__isnull", True), ("mail", "digest")),
                fields=["user", "id"],
                name="notif_digest_pending",
            ),
        ),
        migrations.CreateModel(
            name="NotificationPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event", models.CharField(max_length=80)),
                (
                    "delivery",
                    models.CharField(
                        choices=[("immediately", "Immediately"), ("digest", "Daily digest"), ("off", "Off")],
                        default="immediately",
                        max_length=12,
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE,
                        related_name="notification_preferences",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("user", "event"), name="notif_pref_unique_user_event")],
            },
        ),
        migrations.CreateModel(
            name="ContactOptOut",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.EmailField(max_length=254)),
                ("contract_id", models.PositiveBigIntegerField()),
                ("event", models.CharField(max_length=80)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("email", "contract_id", "event"), name="contact_optout_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="ContactNotification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.EmailField(max_length=254)),
                ("contract_id", models.PositiveBigIntegerField()),
                ("event", models.CharField(max_length=80)),
                ("title", models.CharField(max_length=200)),
                ("body", models.TextField(blank=True)),
                ("url", models.CharField(blank=True, max_length=300)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("emailed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["contract_id", "-created_at"], name="contact_notif_contract")],
            },
        ),
    ]
