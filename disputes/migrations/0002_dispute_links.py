import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("disputes", "0001_initial"),
        ("reports", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's model state moves apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="dispute",
                    name="reissued_report",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="resolving_disputes",
                        to="reports.servicereport",
                    ),
                ),
                migrations.AddField(
                    model_name="dispute",
                    name="report",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="disputes",
                        to="reports.servicereport",
                    ),
                ),
                migrations.AddField(
                    model_name="disputestep",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddField(
                    model_name="disputestep",
                    name="dispute",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="steps", to="disputes.dispute"
                    ),
                ),
                migrations.AddIndex(
                    model_name="dispute",
                    index=models.Index(fields=["contract", "status"], name="dispute_contract_status"),
                ),
            ],
        ),
    ]
