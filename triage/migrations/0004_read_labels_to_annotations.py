"""Copy the label of every read made so far into annotations' label store (issue 11, section 1).

It lives in triage (not annotations) because triage depends on annotations, never the reverse.
StudyRead keeps its label columns for now; reads made from here on write both.
"""

from django.db import migrations

BATCH = 1000


def labels_from_reads(apps, schema_editor):
    """One Label (source radiologist_read) per read that gave a label, with the read's reader,
    time, duration, and the model version and probability the reader was shown."""
    StudyRead = apps.get_model("triage", "StudyRead")
    Label = apps.get_model("annotations", "Label")
    reads = (
        StudyRead.objects.exclude(label_value="")
        .select_related("entry")
        .order_by("pk")
        .iterator(chunk_size=BATCH)
    )
    batch = []
    for read in reads:
        batch.append(
            Label(
                task=read.label_task,
                schema_version=1,
                study_id=read.entry.study_id,
                kind="class",
                value=read.label_value,
                source="radiologist_read",
                author_id=read.reader_id,
                created_at=read.read_at,
                model_version_id=read.model_version_id,
                model_probability=read.ai_probability,
                seconds_spent=read.duration_seconds,
            )
        )
        if len(batch) == BATCH:
            Label.objects.bulk_create(batch)
            batch = []
    Label.objects.bulk_create(batch)


def labels_from_reads_undo(apps, schema_editor):
    """The reads still hold their labels, so going back drops the copies."""
    apps.get_model("annotations", "Label").objects.filter(source="radiologist_read").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0001_initial"),
        ("triage", "0003_worklist_sort_indexes"),
    ]

    operations = [migrations.RunPython(labels_from_reads, labels_from_reads_undo)]
