"""Measurement moves from triage to annotations (issue 11, section 1), in the state only here:
triage 0005_lab_measurement_to_annotations renames the table triage_measurement to
annotations_measurement, so every row (and id) is kept with no copying. The table work sits in
triage because triage depends on annotations, never the reverse."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0003_seed_label_schema_v1"),
        ("archive", "0004_compact_native_frame_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Measurement",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("annotation_uid", models.CharField(max_length=64)),
                        (
                            "tool",
                            models.CharField(
                                choices=[
                                    ("Length", "length"),
                                    ("Angle", "angle"),
                                    ("EllipticalROI", "elliptical ROI"),
                                    ("RectangleROI", "rectangle ROI"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("frame_number", models.PositiveIntegerField(default=1)),
                        ("data", models.JSONField()),
                        ("summary", models.CharField(blank=True, max_length=200)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "instance",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="archive.instance",
                            ),
                        ),
                        (
                            "study",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="measurements",
                                to="archive.study",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "study", "annotation_uid"),
                                name="measurement_unique_per_user",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        )
    ]
