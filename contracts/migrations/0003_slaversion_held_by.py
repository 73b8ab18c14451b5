from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_onboarding"),
    ]

    operations = [
        migrations.AddField(
            model_name="slaversion",
            name="held_by",
            field=models.CharField(
                blank=True,
                help_text="Who edits this draft instead of the terms editor, e.g. “Annual review 2027”.",
                max_length=120,
            ),
        ),
        migrations.AddField(
            model_name="slaversion",
            name="held_by_url",
            field=models.CharField(blank=True, help_text="The page where the holder edits it.", max_length=300),
        ),
    ]
