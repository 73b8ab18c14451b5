"""Audit visibility: which party reads an entry on a contract's trail.

Existing entries keep their meaning ("both", hash version 1: their stored
hashes are untouched, the verifier hashes them as before), except the verbs
known to describe one side's private objects, which are narrowed here:

- ``renewal.reminder_sent`` (milestone, notice deadline, the buyer's
  recipients): buyer only;
- ``scenario.saved`` / ``scenario.deleted`` (a negotiation scenario's name
  and term sets): the side of the organization that saved it, staff only
  when the actor had no organization.

Narrowing is an UPDATE, which the append-only trigger refuses: it is lifted
for these statements only. On SQLite adding a column rebuilds the table,
which drops its triggers, so they are installed again at the end.
"""

from django.db import migrations, models

from audit.triggers import POSTGRES, POSTGRES_REVERSE, SQLITE, SQLITE_REVERSE

BUYER_ONLY = ["renewal.reminder_sent"]
ONE_SIDE = ["scenario.saved", "scenario.deleted"]


def _lift(schema_editor) -> None:
    for sql in POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(sql)


def _install(schema_editor) -> None:
    for sql in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql)


def narrow(apps, schema_editor):
    entry = apps.get_model("audit", "AuditEntry")
    organization = apps.get_model("accounts", "Organization")
    _lift(schema_editor)
    entry.objects.filter(verb__in=BUYER_ONLY).update(visibility="buyer")
    kinds = dict(organization.objects.values_list("pk", "kind"))
    sides: dict[str, list[int]] = {"buyer": [], "vendor": [], "staff": []}
    for pk, org_id in entry.objects.filter(verb__in=ONE_SIDE).values_list("pk", "organization_id"):
        sides[kinds.get(org_id) or "staff"].append(pk)
    for side, pks in sides.items():
        if pks:
            entry.objects.filter(pk__in=pks).update(visibility=side)
    _install(schema_editor)


def widen(apps, schema_editor):
    _lift(schema_editor)
    apps.get_model("audit", "AuditEntry").objects.update(visibility="both")
    _install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only"), ("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="visibility",
            field=models.CharField(
                choices=[
                    ("both", "Both parties"),
                    ("buyer", "Buyer only"),
                    ("vendor", "Vendor only"),
                    ("staff", "Staff only"),
                ],
                default="both",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(narrow, widen),
    ]
