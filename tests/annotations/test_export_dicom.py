"""DICOM export: adjudicated masks become a SEG per image and boxes/classes an SR (TID 1500),
made with highdicom, stored in our archive in the source study, and readable back."""

from __future__ import annotations

import io

import highdicom as hd
import numpy as np
import pydicom
import pytest
from django.core.files.storage import default_storage

from annotations.models import Label, LabelSchema
from annotations.services.export_dataset import mask_encode
from annotations.services.export_dicom import labels_dicom_export
from archive.models import Instance
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.conftest import SHARED_DICOM

pytestmark = pytest.mark.django_db
TASK = CHEST_XRAY_PNEUMONIA.name
NEGATIVE = CHEST_XRAY_PNEUMONIA.negative_class.key
DX = SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm"  # 169 x 211, no frame of ref.
CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"  # 128 x 128, with a frame of reference


def mask_class() -> str:
    return LabelSchema.objects.get(task=TASK, version=1).mask_classes[0]["key"]


def stored_instance(ingest_file, path) -> Instance:
    return Instance.objects.select_related("series__study").get(pk=ingest_file(path).instance_id)


def label(instance, author, kind, value, source=Label.Source.ADJUDICATED, frame=None) -> Label:
    """A label written straight to the table: export reads what is stored, whatever wrote it."""
    return Label.objects.create(
        task=TASK,
        study=instance.series.study,
        instance=instance,
        frame_number=frame,
        kind=kind,
        value=value,
        source=source,
        author=author,
    )


def a_mask(instance, top, left, height, width) -> np.ndarray:
    mask = np.zeros((instance.rows, instance.columns), dtype=bool)
    mask[top : top + height, left : left + width] = True
    return mask


def read_stored(sop_instance_uid: str) -> pydicom.Dataset:
    instance = Instance.objects.get(sop_instance_uid=sop_instance_uid)
    with default_storage.open(instance.file.name, "rb") as fp:
        return pydicom.dcmread(io.BytesIO(fp.read()))


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer")


@pytest.mark.parametrize("path", [DX, CT], ids=["dx", "ct"])
def test_an_adjudicated_mask_becomes_a_seg_of_its_image_in_the_same_study(
    ingest_file, reviewer, path
):
    source = stored_instance(ingest_file, path)
    mask = a_mask(source, 10, 20, 30, 40)
    label(source, reviewer, "mask", {"class": mask_class(), **mask_encode(mask)})

    export = labels_dicom_export(task=TASK)

    [seg_object] = [o for o in export.objects if o.modality == "SEG"]
    assert seg_object.created and export.skipped == []
    seg = hd.seg.Segmentation.from_dataset(read_stored(seg_object.sop_instance_uid))
    assert seg.StudyInstanceUID == source.series.study.study_instance_uid
    assert seg.SegmentationType == "BINARY"
    assert [uids[2] for uids in seg.get_source_image_uids()] == [source.sop_instance_uid]
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == source.series.series_instance_uid
    [segment] = seg.SegmentSequence
    assert segment.SegmentNumber == 1 and segment.SegmentAlgorithmType == "MANUAL"
    assert segment.SegmentedPropertyTypeCodeSequence[0].CodeValue == mask_class()
    colour = LabelSchema.objects.get(task=TASK, version=1).mask_classes[0]["colour"]
    assert hd.color.CIELabColor.from_dicom_value(
        segment.RecommendedDisplayCIELabValue
    ).to_rgb() == tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    pixels = seg.get_pixels_by_source_instance([source.sop_instance_uid], combine_segments=True)
    assert np.array_equal(pixels[0] == 1, mask)


def test_the_seg_parses_with_segread_from_its_stored_bytes(ingest_file, reviewer):
    source = stored_instance(ingest_file, DX)
    label(
        source, reviewer, "mask", {"class": mask_class(), **mask_encode(a_mask(source, 0, 0, 5, 5))}
    )

    [seg_object] = labels_dicom_export(task=TASK).objects

    stored = Instance.objects.get(sop_instance_uid=seg_object.sop_instance_uid)
    with default_storage.open(stored.file.name, "rb") as fp:
        seg = hd.seg.segread(fp)
    assert seg.SOPInstanceUID == seg_object.sop_instance_uid
    assert stored.series.modality == "SEG"


def test_boxes_and_classes_become_one_measurement_report_of_the_study(ingest_file, reviewer):
    source = stored_instance(ingest_file, DX)
    box_class = LabelSchema.objects.get(task=TASK, version=1).box_classes[0]["key"]
    box = {"class": box_class, "x": 20, "y": 10, "width": 40, "height": 30}
    label(source, reviewer, "box", box)
    label(source, reviewer, "class", NEGATIVE)

    [sr_object] = labels_dicom_export(task=TASK).objects

    assert sr_object.modality == "SR" and sr_object.created
    stored = Instance.objects.get(sop_instance_uid=sr_object.sop_instance_uid)
    with default_storage.open(stored.file.name, "rb") as fp:
        sr = hd.sr.srread(fp)
    assert sr.StudyInstanceUID == source.series.study.study_instance_uid
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    [region] = sr.content.get_planar_roi_measurement_groups()
    assert region.finding_type.value == box_class
    assert region.roi.value.tolist() == [[20, 10], [60, 10], [60, 40], [20, 40], [20, 10]]
    [region_source] = region.roi.ContentSequence
    assert region_source.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == (
        source.sop_instance_uid
    )
    [image_group] = sr.content.get_image_measurement_groups()
    [evaluation] = image_group.get_qualitative_evaluations()
    assert evaluation.value.value == NEGATIVE
    evidence = sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert evidence.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == source.sop_instance_uid


def test_annotator_labels_are_left_out_unless_asked_for(ingest_file, reviewer, make_user):
    source = stored_instance(ingest_file, DX)
    label(source, make_user("annotator"), "class", NEGATIVE, source=Label.Source.ANNOTATOR)

    assert labels_dicom_export(task=TASK).objects == []
    [sr_object] = labels_dicom_export(task=TASK, include_annotator_labels=True).objects
    assert sr_object.modality == "SR"


def test_re_export_of_unchanged_labels_stores_nothing_and_a_change_makes_a_new_version(
    ingest_file, reviewer
):
    source = stored_instance(ingest_file, DX)
    mask = label(
        source, reviewer, "mask", {"class": mask_class(), **mask_encode(a_mask(source, 0, 0, 4, 4))}
    )
    first = labels_dicom_export(task=TASK).objects[0]

    again = labels_dicom_export(task=TASK).objects[0]
    assert not again.created and again.sop_instance_uid == first.sop_instance_uid

    mask.value = {"class": mask_class(), **mask_encode(a_mask(source, 5, 5, 4, 4))}
    mask.save()
    changed = labels_dicom_export(task=TASK).objects[0]
    assert changed.created and changed.series_instance_uid != first.series_instance_uid
    numbers = [read_stored(o.sop_instance_uid).SeriesNumber for o in (first, changed)]
    assert numbers[1] == numbers[0] + 1


def test_a_mask_of_the_wrong_size_is_skipped_with_its_reason(ingest_file, reviewer):
    source = stored_instance(ingest_file, DX)
    wrong = label(
        source, reviewer, "mask", {"class": mask_class(), **mask_encode(np.ones((3, 3), bool))}
    )

    export = labels_dicom_export(task=TASK)

    assert export.objects == []
    assert export.skipped == [
        {"label_id": wrong.pk, "reason": f"mask label {wrong.pk} is not the size of its image"}
    ]
    assert not Instance.objects.filter(series__modality="SEG").exists()
