import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [
    "monitoringsource",
    "rawpayload",
    "probestate",
    "outage",
    "nodataspan",
    "maintenancewindow",
    "changenotice",
    "calendarfeed",
]


def relabel_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    # A row under the new label exists only if the new code touched a model before migrating; it
    # has nothing hanging off it yet, and the old row (with its permissions) takes its place.
    moved_already = list(
        content_type.objects.filter(app_label="incidents", model__in=MOVED).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label="availability", model__in=moved_already).delete()
    content_type.objects.filter(app_label="incidents", model__in=MOVED).update(app_label="availability")


def unrelabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="availability", model__in=MOVED).update(app_label="incidents")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("incidents", "0005_move_availability_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contracts", "0002_onboarding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's model state moves apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MonitoringSource",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=120)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("alertmanager", "Prometheus Alertmanager webhook"),
                                    ("probe", "Probe results (JSON or CSV)"),
                                ],
                                max_length=14,
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("token_prefix", models.CharField(max_length=8)),
                        (
                            "interval_seconds",
                            models.PositiveIntegerField(
                                default=60, help_text="Expected probe interval; longer gaps are 'no data'."
                            ),
                        ),
                        (
                            "component_label",
                            models.CharField(
                                default="component", help_text="Alert label naming the component.", max_length=60
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="monitoring_sources",
                                to="contracts.contract",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_monitoringsource",
                        "ordering": ["contract", "name"],
                    },
                ),
                migrations.CreateModel(
                    name="Outage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("component", models.CharField(max_length=100)),
                        ("start", models.DateTimeField()),
                        ("end", models.DateTimeField(blank=True, null=True)),
                        ("cause", models.CharField(blank=True, max_length=300)),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("monitoring", "Independent monitoring"),
                                    ("incident", "Critical production incident"),
                                    ("manual", "Entered by staff"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("fingerprint", models.CharField(blank=True, max_length=64)),
                        ("unknown_component", models.BooleanField(default=False)),
                        ("reason", models.TextField(blank=True, help_text="Why staff entered or corrected it.")),
                        (
                            "exclusion",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("", "Counts"),
                                    ("claimed", "Exclusion claimed"),
                                    ("accepted", "Excluded (accepted)"),
                                    ("rejected", "Exclusion rejected"),
                                ],
                                default="",
                                max_length=10,
                            ),
                        ),
                        ("exclusion_kind", models.CharField(blank=True, max_length=16)),
                        ("exclusion_reason", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outages",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="outages",
                                to="incidents.incident",
                            ),
                        ),
                        (
                            "monitoring_source",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="outages",
                                to="availability.monitoringsource",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_outage",
                        "ordering": ["-start"],
                    },
                ),
                migrations.CreateModel(
                    name="ProbeState",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("component", models.CharField(max_length=100)),
                        ("last_at", models.DateTimeField()),
                        ("last_up", models.BooleanField()),
                        (
                            "open_outage",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="availability.outage",
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="probe_states",
                                to="availability.monitoringsource",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_probestate",
                    },
                ),
                migrations.CreateModel(
                    name="RawPayload",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("sha256", models.CharField(max_length=64)),
                        ("content_type", models.CharField(max_length=60)),
                        ("body", models.TextField()),
                        ("received_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                        ("items", models.PositiveIntegerField(default=0)),
                        (
                            "source",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="payloads",
                                to="availability.monitoringsource",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_rawpayload",
                        "ordering": ["-received_at"],
                    },
                ),
                migrations.CreateModel(
                    name="CalendarFeed",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="calendar_feeds",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="calendar_feeds",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_calendarfeed",
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "contract"), name="one_feed_per_person_contract")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ChangeNotice",
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
                                choices=[
                                    ("major_release", "Major release"),
                                    ("minor_release", "Minor release"),
                                    ("security_patch", "Security patch"),
                                    ("emergency", "Emergency change"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        ("planned_at", models.DateTimeField()),
                        ("components", models.JSONField(default=list)),
                        ("impact", models.TextField()),
                        ("announced_at", models.DateTimeField()),
                        ("required_notice_days", models.PositiveIntegerField(default=0)),
                        ("late", models.BooleanField(default=False)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("announced", "Announced"),
                                    ("acknowledged", "Acknowledged by buyer"),
                                    ("questioned", "Questions raised"),
                                ],
                                default="announced",
                                max_length=12,
                            ),
                        ),
                        ("buyer_response", models.TextField(blank=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="change_notices",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_changenotice",
                        "ordering": ["-planned_at"],
                        "indexes": [models.Index(fields=["contract", "planned_at"], name="change_contract_planned")],
                    },
                ),
                migrations.CreateModel(
                    name="MaintenanceWindow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        ("components", models.JSONField(default=list)),
                        ("start", models.DateTimeField()),
                        ("end", models.DateTimeField()),
                        ("actual_end", models.DateTimeField(blank=True, null=True)),
                        ("announced_at", models.DateTimeField()),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("scheduled", "Scheduled"),
                                    ("completed", "Completed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="scheduled",
                                max_length=10,
                            ),
                        ),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="maintenance_windows",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_maintenancewindow",
                        "ordering": ["-start"],
                        "indexes": [models.Index(fields=["contract", "start"], name="maintenance_contract_start")],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("end__gt", models.F("start"))), name="maintenance_ordered"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NoDataSpan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("component", models.CharField(max_length=100)),
                        ("start", models.DateTimeField()),
                        ("end", models.DateTimeField()),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="no_data_spans",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="no_data_spans",
                                to="availability.monitoringsource",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_nodataspan",
                        "ordering": ["start"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("end__gt", models.F("start"))), name="no_data_ordered"
                            ),
                            models.UniqueConstraint(fields=("source", "component", "start"), name="no_data_once"),
                        ],
                    },
                ),
                migrations.AddIndex(
                    model_name="outage",
                    index=models.Index(fields=["contract", "start"], name="outage_contract_start"),
                ),
                migrations.AddConstraint(
                    model_name="outage",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("end__isnull", True), ("end__gte", models.F("start")), _connector="OR"),
                        name="outage_end_after_start",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="outage",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("fingerprint", ""), _negated=True),
                        fields=("monitoring_source", "fingerprint", "start"),
                        name="outage_alert_once",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="probestate",
                    constraint=models.UniqueConstraint(fields=("source", "component"), name="probe_state_unique"),
                ),
                migrations.AddIndex(
                    model_name="rawpayload",
                    index=models.Index(fields=["expires_at"], name="payload_expires"),
                ),
                migrations.AddConstraint(
                    model_name="rawpayload",
                    constraint=models.UniqueConstraint(fields=("source", "sha256"), name="payload_once_per_source"),
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
