"""Make the audit table append-only in the database itself, and create the
chain's head row. A trigger refuses UPDATE and DELETE on audit entries, so not
even a raw query from the application can rewrite history unnoticed.

TRUNCATE is left to the table owner (test-database flushes need it); whoever
holds that power can also drop triggers, which is why the chain is verified
independently by `verify_audit`."""

from django.db import migrations

from audit.triggers import POSTGRES, POSTGRES_REVERSE, SQLITE, SQLITE_REVERSE


def install(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


def create_head(apps, schema_editor):
    apps.get_model("audit", "ChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(install, uninstall),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
