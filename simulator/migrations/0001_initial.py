import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["scenario"]


def relabel_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    # A row under the new label exists only if the new code touched a model before migrating; it
    # has nothing hanging off it yet, and the old row (with its permissions) takes its place.
    moved_already = list(
        content_type.objects.filter(app_label="reviews", model__in=MOVED).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label="simulator", model__in=moved_already).delete()
    content_type.objects.filter(app_label="reviews", model__in=MOVED).update(app_label="simulator")


def unrelabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="simulator", model__in=MOVED).update(app_label="reviews")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("reviews", "0004_move_reports_disputes_scenarios_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("contracts", "0002_onboarding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's model state moves apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Scenario",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        (
                            "kind",
                            models.CharField(
                                choices=[("contract", "One contract"), ("portfolio", "Portfolio")],
                                default="contract",
                                max_length=10,
                            ),
                        ),
                        (
                            "side",
                            models.CharField(
                                blank=True,
                                choices=[("buyer", "Buyer"), ("vendor", "Vendor"), ("", "Board or staff")],
                                max_length=6,
                            ),
                        ),
                        (
                            "summary",
                            models.CharField(
                                blank=True, help_text="One line for lists: window and term sets.", max_length=300
                            ),
                        ),
                        ("inputs", models.JSONField()),
                        ("results", models.JSONField()),
                        ("created_at", models.DateTimeField()),
                        ("attached_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "amendment",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="scenarios",
                                to="reviews.amendment",
                            ),
                        ),
                        (
                            "buyer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.organization",
                            ),
                        ),
                        (
                            "contract",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="scenarios",
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
                            "vendor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.organization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_scenario",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [models.Index(fields=["contract", "-created_at"], name="scenario_contract_created")],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
