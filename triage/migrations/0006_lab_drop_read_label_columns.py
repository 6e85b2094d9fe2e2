"""A read's label lives in annotations' label store only (copied there by 0004, written there by
every read since): StudyRead's two label columns go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("triage", "0005_lab_measurement_to_annotations")]

    operations = [
        migrations.RemoveField(model_name="studyread", name="label_task"),
        migrations.RemoveField(model_name="studyread", name="label_value"),
    ]
