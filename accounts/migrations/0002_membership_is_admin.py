from django.db import migrations, models


def first_managers_are_admins(apps, schema_editor):
    # Until now the contract manager (buyer) and account manager (vendor) ran
    # their organization's setup through staff; they become its first admins.
    Membership = apps.get_model("accounts", "Membership")
    Membership.objects.filter(role__in=["contract_manager", "account_manager"]).update(is_admin=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="is_admin",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(first_managers_are_admins, migrations.RunPython.noop),
    ]
