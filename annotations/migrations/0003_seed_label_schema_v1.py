"""Version 1 of each registered task's label schema (see label_schemas_ensure); later versions
are the admins' to add."""

from django.db import migrations


def seed(apps, schema_editor):
    from annotations.services.schema import label_schemas_ensure

    label_schemas_ensure(schema_model=apps.get_model("annotations", "LabelSchema"))


class Migration(migrations.Migration):
    dependencies = [("annotations", "0002_workflow_schema_queue_review")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
