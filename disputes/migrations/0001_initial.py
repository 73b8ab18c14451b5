import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["dispute", "disputestep"]


def relabel_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    # A row under the new label exists only if the new code touched a model before migrating; it
    # has nothing hanging off it yet, and the old row (with its permissions) takes its place.
    moved_already = list(
        content_type.objects.filter(app_label="reviews", model__in=MOVED).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label="disputes", model__in=moved_already).delete()
    content_type.objects.filter(app_label="reviews", model__in=MOVED).update(app_label="disputes")


def unrelabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="disputes", model__in=MOVED).update(app_label="reviews")


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
                    name="DisputeStep",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("at", models.DateTimeField()),
                        ("actor_label", models.CharField(max_length=200)),
                        ("stage_name", models.CharField(max_length=100)),
                        ("action", models.CharField(max_length=20)),
                        ("note", models.TextField(blank=True)),
                    ],
                    options={
                        "db_table": "reviews_disputestep",
                        "ordering": ["at", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="Dispute",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "subject_type",
                            models.CharField(
                                choices=[
                                    ("report_line", "Report line"),
                                    ("incident", "Incident breach or exclusion decision"),
                                    ("outage", "Outage"),
                                    ("credit", "Credit"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("subject_id", models.CharField(max_length=64)),
                        ("subject_label", models.CharField(max_length=300)),
                        ("title", models.CharField(max_length=200)),
                        ("statement", models.TextField()),
                        ("raised_by_side", models.CharField(max_length=6)),
                        ("raised_at", models.DateTimeField()),
                        ("stage_index", models.PositiveSmallIntegerField(default=0)),
                        ("stage_name", models.CharField(max_length=100)),
                        ("stage_deadline", models.DateTimeField(blank=True, null=True)),
                        ("reminded_for_stage", models.SmallIntegerField(default=-1)),
                        (
                            "status",
                            models.CharField(
                                choices=[("open", "Open"), ("resolved", "Resolved"), ("withdrawn", "Withdrawn")],
                                default="open",
                                max_length=10,
                            ),
                        ),
                        ("resolution", models.TextField(blank=True)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "contract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="disputes",
                                to="contracts.contract",
                            ),
                        ),
                        (
                            "raised_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_dispute",
                        "ordering": ["stage_deadline", "pk"],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
