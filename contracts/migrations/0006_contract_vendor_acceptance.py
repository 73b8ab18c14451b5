import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def accepted_since_created(apps, schema_editor):
    """Every contract that exists already was agreed with its vendor: accepted, as of its creation."""
    Contract = apps.get_model("contracts", "Contract")
    Contract.objects.filter(vendor_answered_at__isnull=True).update(
        vendor_acceptance="accepted", vendor_answered_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    """The vendor accepts (or declines) a contract a buyer names it on."""

    dependencies = [
        ("contracts", "0005_contract_reference_per_buyer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="vendor_acceptance",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting the vendor"),
                    ("accepted", "Accepted by the vendor"),
                    ("declined", "Declined by the vendor"),
                ],
                default="accepted",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="vendor_answered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="contract",
            name="vendor_answered_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(accepted_since_created, migrations.RunPython.noop),
    ]
