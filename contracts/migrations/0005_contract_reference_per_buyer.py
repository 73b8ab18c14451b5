from django.db import migrations, models


class Migration(migrations.Migration):
    """A contract's reference is unique within its buyer, no longer across
    every organization (which told a stranger which references exist)."""

    dependencies = [("contracts", "0004_termination_right"), ("accounts", "0001_initial")]

    operations = [
        migrations.AlterField(model_name="contract", name="reference", field=models.CharField(max_length=40)),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.UniqueConstraint(fields=("buyer", "reference"), name="contract_reference_per_buyer"),
        ),
    ]
