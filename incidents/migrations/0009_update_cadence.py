from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_fair_attribution"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="investigate_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="investigate_met_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="investigate_elapsed",
            field=models.DurationField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="investigate_breached",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="incident",
            name="next_update_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="update_misses",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
