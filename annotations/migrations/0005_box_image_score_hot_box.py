"""ImageScore.hot_box: the model's pre-annotation box per scored frame (issue 11, section 4)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0004_lab_measurement_from_triage"),
    ]

    operations = [
        migrations.AddField(
            model_name="imagescore",
            name="hot_box",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
