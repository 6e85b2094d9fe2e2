"""Native frame indexes become {"offset", "frame_bits"}: one entry per frame cost 8.8 MB of JSON
for a 2,000,000-frame image, read back on every frame request (issue 10, item 10).

Only native rows change; compressed rows keep their per-frame fragment lists. The code still
reads the old list form, so a row this migration has not reached stays readable.
"""

from __future__ import annotations

from django.db import migrations

NATIVE_SYNTAXES = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
]
BATCH = 500


def compact(apps, schema_editor):  # type: ignore[no-untyped-def]
    Instance = apps.get_model("archive", "Instance")
    # Only the first frame's [offset, length] is read from each row, not the whole list.
    rows = (
        Instance.objects.filter(transfer_syntax_uid__in=NATIVE_SYNTAXES, frame_index__isnull=False)
        .exclude(frame_index__has_key="offset")
        .values_list("pk", "frame_index__0__0")
        .iterator(chunk_size=BATCH)
    )
    for pk, first in rows:
        offset, length = first
        Instance.objects.filter(pk=pk).update(
            frame_index={"offset": offset, "frame_bits": length * 8}
        )


def expand(apps, schema_editor):  # type: ignore[no-untyped-def]
    Instance = apps.get_model("archive", "Instance")
    rows = Instance.objects.filter(frame_index__has_key="frame_bits").values_list(
        "pk", "frame_index", "number_of_frames"
    )
    for pk, index, count in rows.iterator(chunk_size=BATCH):
        bits = index["frame_bits"]
        old = (
            [[[index["offset"] + i * bits // 8, bits // 8]] for i in range(count)]
            if bits % 8 == 0
            else None  # the old code parsed such files on demand
        )
        Instance.objects.filter(pk=pk).update(frame_index=old)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_patient_name_prefix_index"),
    ]

    operations = [migrations.RunPython(compact, expand, elidable=True)]
