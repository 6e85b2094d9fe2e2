"""Measurement moves to annotations: its table is renamed (rows, ids, constraints kept) and the
model leaves triage's state; annotations 0004_lab_measurement_from_triage declares it there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0004_read_labels_to_annotations"),
        ("annotations", "0004_lab_measurement_from_triage"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="measurement", table="annotations_measurement")
            ],
            state_operations=[migrations.DeleteModel(name="measurement")],
        )
    ]
