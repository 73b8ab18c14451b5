from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_scenarios"),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's model state moves apps.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="dispute",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="dispute",
                    name="raised_by",
                ),
                migrations.RemoveField(
                    model_name="dispute",
                    name="reissued_report",
                ),
                migrations.RemoveField(
                    model_name="dispute",
                    name="report",
                ),
                migrations.RemoveField(
                    model_name="disputestep",
                    name="dispute",
                ),
                migrations.RemoveField(
                    model_name="disputestep",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="periodclose",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="scenario",
                    name="amendment",
                ),
                migrations.RemoveField(
                    model_name="scenario",
                    name="buyer",
                ),
                migrations.RemoveField(
                    model_name="scenario",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="scenario",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="scenario",
                    name="vendor",
                ),
                migrations.RemoveField(
                    model_name="servicereport",
                    name="contract",
                ),
                migrations.RemoveField(
                    model_name="servicereport",
                    name="supersedes",
                ),
                migrations.DeleteModel(
                    name="Credit",
                ),
                migrations.DeleteModel(
                    name="Dispute",
                ),
                migrations.DeleteModel(
                    name="DisputeStep",
                ),
                migrations.DeleteModel(
                    name="PeriodClose",
                ),
                migrations.DeleteModel(
                    name="Scenario",
                ),
                migrations.DeleteModel(
                    name="ServiceReport",
                ),
            ],
        ),
    ]
