import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import reports.models

MOVED = ["periodclose", "servicereport", "credit"]


def relabel_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    # A row under the new label exists only if the new code touched a model before migrating; it
    # has nothing hanging off it yet, and the old row (with its permissions) takes its place.
    moved_already = list(
        content_type.objects.filter(app_label="reviews", model__in=MOVED).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label="reports", model__in=moved_already).delete()
    content_type.objects.filter(app_label="reviews", model__in=MOVED).update(app_label="reports")


def unrelabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="reports", model__in=MOVED).update(app_label="reviews")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("reviews", "0004_move_reports_disputes_scenarios_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contracts", "0002_onboarding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's model state moves apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ServiceReport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("period", models.CharField(max_length=7)),
                        ("period_start", models.DateTimeField()),
                        ("period_end", models.DateTimeField()),
                        ("revision", models.PositiveSmallIntegerField(default=1)),
                        ("what_changed", models.JSONField(blank=True, default=list)),
                        ("snapshot", models.JSONField()),
                        ("checksum", models.CharField(max_length=64)),
                        ("pdf", models.FileField(blank=True, null=True, upload_to=reports.models.report_pdf_path)),
                        ("pdf_sha256", models.CharField(blank=True, max_length=64)),
                        ("availability", models.DecimalField(blank=True, decimal_places=3, max_digits=7, null=True)),
                        ("availability_met", models.BooleanField(null=True)),
                        ("breaches", models.PositiveIntegerField(default=0)),
                        ("credit_total", models.DecimalField(decimal_places=3, default=0, max_digits=14)),
                        ("currency", models.CharField(max_length=3)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="service_reports",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "supersedes",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="superseded_by",
                                to="reports.servicereport",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_servicereport",
                        "ordering": ["-period_start", "-revision"],
                    },
                ),
                migrations.CreateModel(
                    name="Credit",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("availability", "Availability"), ("incident_breach", "Incident breach")],
                                max_length=16,
                            ),
                        ),
                        ("ref", models.CharField(blank=True, max_length=60)),
                        ("description", models.CharField(max_length=300)),
                        ("percent", models.DecimalField(decimal_places=3, max_digits=7)),
                        ("amount", models.DecimalField(decimal_places=3, max_digits=14)),
                        ("currency", models.CharField(max_length=3)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("calculated", "Calculated"),
                                    ("claimed", "Claimed"),
                                    ("approved", "Approved"),
                                    ("applied", "Applied"),
                                    ("disputed", "Disputed"),
                                    ("void", "Void (superseded)"),
                                ],
                                default="calculated",
                                max_length=10,
                            ),
                        ),
                        ("claim_deadline", models.DateTimeField()),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("approved_at", models.DateTimeField(blank=True, null=True)),
                        ("applied_at", models.DateTimeField(blank=True, null=True)),
                        ("invoice_reference", models.CharField(blank=True, max_length=100)),
                        (
                            "approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "claimed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="credits",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "report",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="credits",
                                to="reports.servicereport",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_credit",
                        "ordering": ["-report__period_start", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="PeriodClose",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("period", models.CharField(help_text="YYYY-MM (month) or YYYY-Qn (quarter)", max_length=7)),
                        ("period_start", models.DateTimeField()),
                        ("period_end", models.DateTimeField()),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("computing", "Computing"),
                                    ("rendering", "Rendering PDF"),
                                    ("stored", "Stored"),
                                    ("delivered", "Delivered"),
                                    ("failed", "Failed (staff notified)"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="period_closes",
                                to="contracts.contract",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_periodclose",
                        "ordering": ["-period_start", "contract_id"],
                        "indexes": [models.Index(fields=["state", "claimed_at"], name="period_close_state")],
                        "constraints": [
                            models.UniqueConstraint(fields=("contract", "period"), name="period_close_once")
                        ],
                    },
                ),
                migrations.AddIndex(
                    model_name="servicereport",
                    index=models.Index(fields=["contract", "-period_start"], name="report_contract_period"),
                ),
                migrations.AddConstraint(
                    model_name="servicereport",
                    constraint=models.UniqueConstraint(
                        fields=("contract", "period", "revision"), name="report_revision_once"
                    ),
                ),
                migrations.AddIndex(
                    model_name="credit",
                    index=models.Index(fields=["contract", "status"], name="credit_contract_status"),
                ),
                migrations.AddConstraint(
                    model_name="credit",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)), name="credit_not_negative"
                    ),
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
