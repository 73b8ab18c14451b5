from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_playbook"),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's model state moves apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="changenotice",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="changenotice",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="maintenancewindow",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="maintenancewindow",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="monitoringsource",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="rawpayload",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="probestate",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="outage",
                    name="monitoring_source",
                ),
                migrations.RemoveField(
                    model_name="nodataspan",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="nodataspan",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="outage",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="outage",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="outage",
                    name="incident",
                ),
                migrations.RemoveField(
                    model_name="probestate",
                    name="open_outage",
                ),
                migrations.DeleteModel(
                    name="CalendarFeed",
                ),
                migrations.DeleteModel(
                    name="ChangeNotice",
                ),
                migrations.DeleteModel(
                    name="MaintenanceWindow",
                ),
                migrations.DeleteModel(
                    name="RawPayload",
                ),
                migrations.DeleteModel(
                    name="MonitoringSource",
                ),
                migrations.DeleteModel(
                    name="NoDataSpan",
                ),
                migrations.DeleteModel(
                    name="Outage",
                ),
                migrations.DeleteModel(
                    name="ProbeState",
                ),
            ],
        ),
    ]
