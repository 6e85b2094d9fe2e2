"""Version 1 of each registered task's label schema: the task's classes (keys 1, 2, ...) and one
box and one mask class for the finding's region. Later versions are the admins' to add."""

from django.db import migrations

from ml.core.tasks import TASKS

REGION_COLOUR = "#ff8c00"


def seed(apps, schema_editor):
    LabelSchema = apps.get_model("annotations", "LabelSchema")
    for task in TASKS.values():
        if LabelSchema.objects.filter(task=task.name).exists():
            continue
        region = {
            "key": "opacity",
            "display_name": f"{task.finding} region",
            "colour": REGION_COLOUR,
            "hotkey": "b",
        }
        LabelSchema.objects.create(
            task=task.name,
            version=1,
            classes=[
                {"key": c.key, "display_name": c.display_name, "hotkey": str(number)}
                for number, c in enumerate(task.classes, start=1)
            ],
            multi_label=False,
            box_classes=[region],
            mask_classes=[{**region, "hotkey": "m"}],
            note="seeded from the task registry",
        )


class Migration(migrations.Migration):
    dependencies = [("annotations", "0002_workflow_schema_queue_review")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
