"""Ground-truth labels as DICOM, stored back into our archive: masks as SEG, boxes and classes as
an SR Measurement Report (TID 1500), both made with highdicom.

Objects go through the archive's ingest service (the one behind STOW-RS), so they sit in the
source study (same Study Instance UID) and are served by our QIDO-RS/WADO-RS like any instance.

Re-export versions, it never overwrites: the UIDs of an object are derived from its task, its
study and the exact labels in it (ids, values, last edits). Exporting unchanged labels again
derives the same UIDs and stores nothing ("created": false); changed labels make a new series
("<task> masks" / "<task> report") with the next Series Number, and a new SR names the one it
supersedes in its Predecessor Documents Sequence. Earlier versions stay, as an archive keeps what
it published; the newest is the one with the highest Series Number.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
from django.core.files.storage import default_storage
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from annotations.models import Label, LabelSchema
from annotations.services.export_dataset import mask_decode
from archive.models import Instance, Series, Study
from archive.services.ingest import instance_ingest
from ml.core.tasks import task_get

logger = logging.getLogger(__name__)

# Our own codes for task classes (DICOM PS3.16 8.2: private schemes start with "99").
CODING_SCHEME = "99IMAGINGTRIAGE"
MANUFACTURER = "imaging-triage"
MODEL_NAME = "annotations export"
SOFTWARE_VERSION = "1"
SEG_SERIES_BASE = 9100  # Series Number of a task's first mask export in a study, then +1
SR_SERIES_BASE = 9200
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:imaging-triage:annotations-export")
IMAGING_PROCEDURE = Code("363679005", "SCT", "Imaging procedure")
GROUND_TRUTH = (Label.Source.ADJUDICATED,)


class ExportRefused(ValueError):
    """A label that cannot be written as DICOM (its image's grid, a class no schema has)."""


@dataclass
class ExportedObject:
    """One SEG or SR of an export, and whether this export stored it (False: unchanged)."""

    modality: str  # "SEG" or "SR"
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    source_sop_instance_uids: list[str]
    label_ids: list[int]
    created: bool


@dataclass
class DicomExport:
    task: str
    objects: list[ExportedObject] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"label_id", "reason"}

    def as_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "created": sum(o.created for o in self.objects),
            "unchanged": sum(not o.created for o in self.objects),
            "objects": [vars(o) for o in self.objects],
            "skipped": self.skipped,
        }


def labels_dicom_export(*, task: str, include_annotator_labels: bool = False) -> DicomExport:
    """Write the task's ground truth (adjudicated labels; with `include_annotator_labels`, the
    annotators' too) as DICOM into the archive: per study, one SEG per image with masks and one
    SR with its boxes and class labels. Safe to retry: unchanged labels store nothing new.
    A label that cannot be written is listed in `skipped` and does not stop the others.
    """
    task_get(task)  # ValueError for an unregistered task
    sources = [*GROUND_TRUTH, Label.Source.ANNOTATOR] if include_annotator_labels else GROUND_TRUTH
    labels = (
        Label.objects.filter(task=task, source__in=sources)
        .select_related("study", "instance__series")
        .order_by("id")
    )
    by_study: dict[int, list[Label]] = defaultdict(list)
    for label in labels:
        by_study[label.study_id].append(label)
    export = DicomExport(task=task)
    schemas = {s.version: s for s in LabelSchema.objects.filter(task=task)}
    for study_labels in by_study.values():
        _study_export(export, study_labels, schemas)
    logger.info(
        "labels_dicom_exported task=%s objects=%s skipped=%s",
        task,
        len(export.objects),
        len(export.skipped),
    )
    return export


def _study_export(
    export: DicomExport, labels: list[Label], schemas: dict[int, LabelSchema]
) -> None:
    masks = [label for label in labels if label.kind == Label.Kind.MASK]
    report = [label for label in labels if label.kind != Label.Kind.MASK]
    if masks:
        by_image: dict[int, list[Label]] = defaultdict(list)
        for label in masks:
            if label.instance is None:
                export.skipped.append({"label_id": label.pk, "reason": "a mask needs an image"})
                continue
            by_image[label.instance.pk].append(label)
        series_uid = _uid("seg-series", export.task, labels[0].study.study_instance_uid, masks)
        number = _series_number(labels[0].study, export.task, "masks", SEG_SERIES_BASE, series_uid)
        for image_labels in by_image.values():
            _guarded(export, image_labels, _seg_export, export, image_labels, schemas, series_uid,
                     number)  # fmt: skip
    if report:
        _guarded(export, report, _sr_export, export, report, schemas)


def _guarded(export: DicomExport, labels: list[Label], build: Any, *args: Any) -> None:
    """Run one object's export; a label the object cannot hold skips that object only."""
    try:
        build(*args)
    except ExportRefused as refusal:
        export.skipped.extend({"label_id": label.pk, "reason": str(refusal)} for label in labels)


def _digest(labels: Sequence[Label]) -> str:
    content = [
        [label.pk, label.kind, label.value, label.frame_number, label.updated_at.isoformat()]
        for label in labels
    ]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _uid(*parts: Any) -> str:
    """A UID derived from what the object holds: the same labels, the same UID. A name-based
    UUID (RFC 4122 version 5) in the 2.25 form (pydicom's generate_uid ignores its entropy
    sources without a prefix, and a prefix would have to be our own registered root)."""
    name = "|".join(p if isinstance(p, str) else _digest(p) for p in parts)
    return f"2.25.{uuid.uuid5(UID_NAMESPACE, name).int}"


def _series_number(study: Study, task: str, what: str, base: int, series_uid: str) -> int:
    """The series' number if it is stored already, else one past the task's earlier exports."""
    earlier = Series.objects.filter(study=study, series_description=f"{task} {what}")
    existing = earlier.filter(series_instance_uid=series_uid).first()
    if existing is not None and existing.series_number is not None:
        return existing.series_number
    return base + earlier.count()


def _source_dataset(instance: Instance) -> pydicom.Dataset:
    """The stored source image's header (no pixels: highdicom needs the attributes only)."""
    with default_storage.open(str(instance.file.name), "rb") as fp:
        # In memory: highdicom deep-copies the dataset, and an open storage file cannot be.
        return pydicom.dcmread(io.BytesIO(fp.read()), stop_before_pixels=True)


def _store(dataset: pydicom.Dataset) -> bool:
    """Ingest one object as STOW-RS would; True when it was not stored before."""
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return instance_ingest(fp=buffer, source="annotations-export").created


def _schema_of(labels: Sequence[Label], schemas: dict[int, LabelSchema]) -> LabelSchema:
    """The newest schema version among the labels: the one whose classes number the segments."""
    version = max(label.schema_version for label in labels)
    if version not in schemas:
        raise ExportRefused(f"schema version {version} of {labels[0].task} does not exist")
    return schemas[version]


def _class_code(key: str, classes: Sequence[dict[str, Any]]) -> Code:
    names = {spec["key"]: spec.get("display_name", spec["key"]) for spec in classes}
    return Code(str(key), CODING_SCHEME, str(names.get(key, key)))


def _segment_descriptions(task: str, schema: LabelSchema) -> list[hd.seg.SegmentDescription]:
    """One segment per mask class of the schema version, numbered by its position (from 1)."""
    descriptions = []
    for number, spec in enumerate(schema.mask_classes, start=1):
        colour = spec.get("colour")
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=str(spec.get("display_name", spec["key"]))[:64],
                segmented_property_category=codes.SCT.Finding,
                segmented_property_type=_class_code(spec["key"], schema.mask_classes),
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
                tracking_uid=_uid("segment", task, spec["key"]),
                tracking_id=f"{task} {spec['key']}",
                display_color=hd.color.CIELabColor.from_string(colour) if colour else None,
            )
        )
    return descriptions


def _mask_array(
    labels: Sequence[Label], schema: LabelSchema, source: pydicom.Dataset
) -> np.ndarray:
    """(frames, rows, columns, segments) bool: each class's masks (union) on their frames."""
    keys = [spec["key"] for spec in schema.mask_classes]
    frames = int(source.get("NumberOfFrames", 1) or 1)
    array = np.zeros((frames, source.Rows, source.Columns, len(keys)), dtype=bool)
    for label in labels:
        key = label.value.get("class")
        if key not in keys:
            raise ExportRefused(f"mask class {key!r} is not in schema v{schema.version}")
        try:
            mask = mask_decode(label.value)
        except (KeyError, TypeError, ValueError) as error:
            raise ExportRefused(f"mask label {label.pk} is unreadable: {error}") from None
        if mask.shape != (source.Rows, source.Columns):
            raise ExportRefused(f"mask label {label.pk} is not the size of its image")
        frame = (label.frame_number or 1) - 1
        if frame >= frames:
            raise ExportRefused(f"mask label {label.pk} names frame {frame + 1} of {frames}")
        array[frame, :, :, keys.index(key)] |= mask
    return array


def _pixel_measures(source: pydicom.Dataset) -> hd.PixelMeasuresSequence | None:
    """For a projection image (no frame of reference): its spacing, with a nominal slice
    thickness, since highdicom 0.28 writes a Pixel Measures item without one and then refuses
    to read it back (hd.seg.segread raises AttributeError)."""
    if "FrameOfReferenceUID" in source or "PerFrameFunctionalGroupsSequence" in source:
        return None
    spacing = source.get("PixelSpacing") or source.get("ImagerPixelSpacing")
    if not spacing:
        return None
    thickness = float(source.get("SliceThickness") or 1.0)
    return hd.PixelMeasuresSequence([float(v) for v in spacing], slice_thickness=thickness)


def _seg_export(
    export: DicomExport,
    labels: list[Label],
    schemas: dict[int, LabelSchema],
    series_uid: str,
    series_number: int,
) -> None:
    instance = labels[0].instance
    if instance is None:
        raise ExportRefused("a mask needs an image")
    sop_uid = _uid("seg", series_uid, instance.sop_instance_uid)
    created = False
    if not Instance.objects.filter(sop_instance_uid=sop_uid).exists():
        schema = _schema_of(labels, schemas)
        source = _source_dataset(instance)
        seg = hd.seg.Segmentation(
            source_images=[source],
            pixel_array=_mask_array(labels, schema, source),
            segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=_segment_descriptions(export.task, schema),
            series_instance_uid=series_uid,
            series_number=series_number,
            sop_instance_uid=sop_uid,
            instance_number=1,
            manufacturer=MANUFACTURER,
            manufacturer_model_name=MODEL_NAME,
            software_versions=SOFTWARE_VERSION,
            device_serial_number="1",
            content_label="ANNOTATIONS",
            content_description=f"{export.task} masks, schema v{schema.version}"[:64],
            pixel_measures=_pixel_measures(source),
        )
        seg.SeriesDescription = f"{export.task} masks"
        created = _store(seg)
    export.objects.append(
        ExportedObject(
            modality="SEG",
            study_instance_uid=instance.series.study.study_instance_uid,
            series_instance_uid=series_uid,
            sop_instance_uid=sop_uid,
            source_sop_instance_uids=[instance.sop_instance_uid],
            label_ids=[label.pk for label in labels],
            created=created,
        )
    )


def _region_source(label: Label, dataset: pydicom.Dataset) -> hd.sr.SourceImageForRegion:
    frames = [label.frame_number] if "NumberOfFrames" in dataset and label.frame_number else None
    return hd.sr.SourceImageForRegion(
        referenced_sop_class_uid=dataset.SOPClassUID,
        referenced_sop_instance_uid=dataset.SOPInstanceUID,
        referenced_frame_numbers=frames,
    )


def _box_group(
    label: Label, dataset: pydicom.Dataset, schema: LabelSchema
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    """A box as an image region: a closed POLYLINE (5 points) in pixel (column, row) terms."""
    value = label.value
    try:
        x, y, w, h = (float(value[k]) for k in ("x", "y", "width", "height"))
        key = str(value["class"])
    except (KeyError, TypeError, ValueError):
        raise ExportRefused(f"box label {label.pk} is unreadable") from None
    corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]], dtype=float)
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=corners,
        source_image=_region_source(label, dataset),
    )
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=_uid("box", str(label.pk)), identifier=f"box {label.pk}"
        ),
        referenced_region=region,
        finding_type=_class_code(key, schema.box_classes),
    )


def _class_group(
    label: Label, dataset: pydicom.Dataset | None, schema: LabelSchema
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """A class label as a qualitative evaluation: on its image, or (no image) on the study."""
    task = task_get(label.task)
    name = Code(task.name, CODING_SCHEME, task.name)
    sources = None
    if dataset is not None:
        sources = [hd.sr.SourceImageForMeasurementGroup.from_source_image(dataset)]
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=_uid("class", str(label.pk)), identifier=f"class {label.pk}"
        ),
        finding_type=name,
        qualitative_evaluations=[
            hd.sr.QualitativeEvaluation(
                name=name, value=_class_code(str(label.value), schema.classes)
            )
        ],
        source_images=sources,
    )


def _sr_export(export: DicomExport, labels: list[Label], schemas: dict[int, LabelSchema]) -> None:
    study = labels[0].study
    series_uid = _uid("sr-series", export.task, study.study_instance_uid, labels)
    sop_uid = _uid("sr", series_uid)
    images = {label.instance.pk: label.instance for label in labels if label.instance}
    created = False
    if not Instance.objects.filter(sop_instance_uid=sop_uid).exists():
        created = _sr_build_and_store(export.task, labels, schemas, images, series_uid, sop_uid)
    export.objects.append(
        ExportedObject(
            modality="SR",
            study_instance_uid=study.study_instance_uid,
            series_instance_uid=series_uid,
            sop_instance_uid=sop_uid,
            source_sop_instance_uids=[i.sop_instance_uid for i in images.values()],
            label_ids=[label.pk for label in labels],
            created=created,
        )
    )


def _sr_build_and_store(
    task: str,
    labels: list[Label],
    schemas: dict[int, LabelSchema],
    images: dict[int, Instance],
    series_uid: str,
    sop_uid: str,
) -> bool:
    study = labels[0].study
    datasets = {pk: _source_dataset(instance) for pk, instance in images.items()}
    groups: list[Any] = []
    for label in labels:
        schema = _schema_of([label], schemas)
        dataset = datasets.get(label.instance_id) if label.instance_id else None
        if label.kind == Label.Kind.BOX:
            if dataset is None:
                raise ExportRefused(f"box label {label.pk} has no image")
            groups.append(_box_group(label, dataset, schema))
        else:
            groups.append(_class_group(label, dataset, schema))
    evidence = list(datasets.values()) or [_source_dataset(_first_image(study))]
    previous = _previous_report(study, task)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=_uid("device", MANUFACTURER, MODEL_NAME), name=MODEL_NAME
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=IMAGING_PROCEDURE,
        imaging_measurements=groups,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=evidence,
        content=report,
        series_instance_uid=series_uid,
        series_number=_series_number(study, task, "report", SR_SERIES_BASE, series_uid),
        sop_instance_uid=sop_uid,
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        previous_versions=[previous] if previous is not None else None,
    )
    sr.SeriesDescription = f"{task} report"
    return _store(sr)


def _first_image(study: Study) -> Instance:
    instance = (
        Instance.objects.filter(series__study=study)
        .exclude(series__modality__in=["SEG", "SR"])
        .select_related("series")
        .order_by("series__series_number", "instance_number", "id")
        .first()
    )
    if instance is None:
        raise ExportRefused("the study has no image to name as evidence")
    return instance


def _previous_report(study: Study, task: str) -> pydicom.Dataset | None:
    """The task's newest earlier SR of the study, which a new one supersedes."""
    previous = (
        Instance.objects.filter(series__study=study, series__series_description=f"{task} report")
        .select_related("series")
        .order_by("-series__series_number", "-id")
        .first()
    )
    return _source_dataset(previous) if previous is not None else None
