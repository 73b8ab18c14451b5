import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("availability", "0004_ticket_sources"),
        ("contracts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Discrepancy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("component", models.CharField(max_length=100)),
                ("period", models.CharField(help_text="The period's label (2026-10, 2026-Q4).", max_length=20)),
                ("period_start", models.DateTimeField()),
                ("period_end", models.DateTimeField()),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField()),
                (
                    "down_sources",
                    models.JSONField(default=list, help_text="Ids of the sources saying down in the interval."),
                ),
                (
                    "up_sources",
                    models.JSONField(default=list, help_text="Ids of the sources saying up in the interval."),
                ),
                (
                    "down_seconds",
                    models.JSONField(default=dict, help_text="Source id -> seconds it says down in the interval."),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("resolved", "Resolved by agreement"), ("disputed", "Disputed")],
                        default="open",
                        max_length=8,
                    ),
                ),
                (
                    "proposed_resolution",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("source", "Count one source's view"),
                            ("split", "Split: half the time counts as down"),
                            ("disputed", "Disputed: the buyer's probes count, the time is reported as disputed"),
                        ],
                        max_length=8,
                    ),
                ),
                ("proposed_reason", models.TextField(blank=True)),
                (
                    "proposed_side",
                    models.CharField(
                        blank=True, choices=[("buyer", "Buyer"), ("vendor", "Vendor"), ("staff", "Staff")], max_length=6
                    ),
                ),
                ("proposed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "resolution",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("source", "Count one source's view"),
                            ("split", "Split: half the time counts as down"),
                            ("disputed", "Disputed: the buyer's probes count, the time is reported as disputed"),
                        ],
                        max_length=8,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("detected_at", models.DateTimeField()),
                (
                    "contract",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="discrepancies",
                        to="contracts.contract",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "picked_source",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="availability.monitoringsource",
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "proposed_source",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="availability.monitoringsource",
                    ),
                ),
            ],
            options={
                "ordering": ["start", "component", "pk"],
                "indexes": [models.Index(fields=["contract", "period_start"], name="discrepancy_contract_period")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("end__gt", models.F("start"))), name="discrepancy_ordered"
                    ),
                    models.UniqueConstraint(fields=("contract", "component", "start"), name="discrepancy_once"),
                ],
            },
        ),
    ]
