"""Demo data: the shared DICOM test files, and PneumoniaMNIST chest X-rays wrapped as DX studies.

Every wrapped image becomes one made-up paediatric patient with one PA chest study (the source
images are of children aged one to five). UIDs derive from the image's split and index, so
loading again stores nothing twice. The label is never written into the DICOM: it goes to a CSV
under VAR_DIR/demo for the issues that train and evaluate models.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from archive.models import DicomDevice
from archive.services.devices import device_create
from archive.services.imports import ImportSummary, files_import, import_plan
from archive.services.ingest import instance_ingest

PNEUMONIA_NPZ = Path("classification") / "pneumoniamnist" / "pneumoniamnist_trainval_28.npz"
SPLITS = ("val", "train")  # val first: it is the split a demo worklist should show
LABEL_NAMES = {0: "normal", 1: "pneumonia"}
DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
IMAGE_SIZE = 256  # the 28x28 source upsampled so a viewer shows more than a few blocks
PIXEL_SPACING_MM = 1.4  # a ~36 cm paediatric chest field over 256 pixels
RECENT_DAYS = 14
LABELS_CSV_FIELDS = ["study_instance_uid", "label", "label_name", "split", "index"]

FAMILY_NAMES = [
    "CHEN", "WANG", "LI", "ZHANG", "LIU", "HUANG", "ZHOU", "WU", "GARCIA", "MARTIN", "SMITH",
    "MUELLER", "ROSSI", "KOWALSKI", "NGUYEN", "SILVA", "JOHANSSON", "OKAFOR", "HADDAD", "TANAKA",
]  # fmt: skip
GIVEN_NAMES = {
    "F": ["MEI", "LING", "XIA", "EMMA", "SOFIA", "AMARA", "LENA", "YUKI", "NOOR", "ANA", "MAJA"],
    "M": ["WEI", "JUN", "HAO", "LUCAS", "NOAH", "MATEO", "ARJUN", "KENJI", "OMAR", "LEO", "IVAN"],
}


@dataclass(frozen=True)
class WrappedImage:
    split: str
    index: int
    pixels: np.ndarray  # 28x28 uint8
    label: int

    def uid(self, kind: str) -> str:
        sources = ["triage-demo", "pneumoniamnist", self.split, str(self.index), kind]
        return str(generate_uid(entropy_srcs=sources))


@dataclass
class WrapSummary:
    stored: int = 0
    already_stored: int = 0


def demo_files_load(
    *, data_dir: Path, on_progress: Callable[[Path], None] | None = None
) -> ImportSummary:
    """Import data_dir/dicom except malformed/ (counted as skipped). Safe to re-run."""
    plan = import_plan(paths=[data_dir / "dicom"], exclude_dirs=["malformed"])
    return files_import(plan=plan, on_progress=on_progress)


def pneumonia_images(*, npz_path: Path, count: int) -> Iterator[WrappedImage]:
    """The first `count` images of the val split, then of the train split."""
    if count < 0:
        raise ValueError("count must not be negative")
    with np.load(npz_path) as arrays:
        for split in SPLITS:
            images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
            for index in range(min(count, len(images))):
                yield WrappedImage(split, index, images[index], int(labels[index].ravel()[0]))
            count -= min(count, len(images))


def pneumonia_studies_load(
    *,
    npz_path: Path,
    count: int,
    today: dt.date | None = None,
    on_progress: Callable[[WrappedImage], None] | None = None,
) -> tuple[WrapSummary, Path]:
    """Store `count` wrapped images through instance_ingest and record their labels.

    Returns the counts and the labels CSV path (VAR_DIR/demo/pneumoniamnist_labels.csv, merged
    with the rows of earlier runs). Safe to re-run: instances already stored are counted.
    """
    today = today or dt.date.today()
    summary = WrapSummary()
    rows = []
    for image in pneumonia_images(npz_path=npz_path, count=count):
        buffer = io.BytesIO()
        dx_dataset(image, today=today).save_as(buffer, enforce_file_format=True)
        buffer.seek(0)
        result = instance_ingest(fp=buffer, source="demo")
        summary.stored += result.created
        summary.already_stored += not result.created
        rows.append(_label_row(image))
        if on_progress is not None:
            on_progress(image)
    return summary, _labels_write(rows)


def dx_dataset(image: WrappedImage, *, today: dt.date) -> Dataset:
    """A Digital X-Ray (For Presentation) PA chest instance of a made-up patient."""
    # Seeded on purpose: the same made-up patient on every run.
    rng = random.Random(f"triage-demo-{image.split}-{image.index}")  # noqa: S311
    study_date = today - dt.timedelta(days=rng.randrange(RECENT_DAYS))
    study_time = dt.time(rng.randrange(7, 20), rng.randrange(60), rng.randrange(60))
    ds = Dataset()
    _patient(ds, rng, image, study_date)
    _study(ds, image, study_date, study_time)
    _image(ds, image)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _patient(ds: Dataset, rng: random.Random, image: WrappedImage, study_date: dt.date) -> None:
    sex = rng.choice("FM")
    age_months = rng.randrange(12, 72)
    birth = study_date - dt.timedelta(days=int(age_months * 30.44) + rng.randrange(30))
    ds.PatientName = f"{rng.choice(FAMILY_NAMES)}^{rng.choice(GIVEN_NAMES[sex])}"
    ds.PatientID = f"DEMO-{image.split[0].upper()}{image.index:05d}"
    ds.PatientBirthDate = birth.strftime("%Y%m%d")
    ds.PatientSex = sex
    ds.PatientAge = f"{age_months // 12:03d}Y" if age_months >= 24 else f"{age_months:03d}M"


def _study(ds: Dataset, image: WrappedImage, study_date: dt.date, study_time: dt.time) -> None:
    ds.StudyInstanceUID = image.uid("study")
    ds.SeriesInstanceUID = image.uid("series")
    ds.SOPInstanceUID = image.uid("instance")
    ds.SOPClassUID = DX_FOR_PRESENTATION
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = study_date.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = study_time.strftime("%H%M%S")
    ds.AccessionNumber = f"DX{SPLITS.index(image.split) + 1}{image.index:07d}"
    ds.StudyID = f"{image.index + 1}"
    ds.StudyDescription = "XR CHEST PA"
    ds.ReferringPhysicianName = "DEMO^REFERRER"
    ds.InstitutionName = "Demo Children's Hospital"
    ds.Manufacturer = "Demo"
    ds.Modality = "DX"
    ds.SeriesNumber = 1
    ds.SeriesDescription = "Chest PA"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.PatientOrientation = ["L", "F"]
    ds.InstanceNumber = 1


def _image(ds: Dataset, image: WrappedImage) -> None:
    pixels = Image.fromarray(image.pixels).resize(
        (IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC
    )
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.DerivationDescription = "MedMNIST 28x28 chest radiograph upsampled (bicubic)"
    ds.BurnedInAnnotation = "NO"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = IMAGE_SIZE
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.ImagerPixelSpacing = [PIXEL_SPACING_MM, PIXEL_SPACING_MM]
    ds.WindowCenter, ds.WindowWidth = 128, 256
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    ds.PixelData = np.asarray(pixels, dtype=np.uint8).tobytes()


def _label_row(image: WrappedImage) -> dict[str, str]:
    return {
        "study_instance_uid": image.uid("study"),
        "label": str(image.label),
        "label_name": LABEL_NAMES[image.label],
        "split": image.split,
        "index": str(image.index),
    }


def labels_csv_path() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "pneumoniamnist_labels.csv"


def _labels_write(rows: list[dict[str, str]]) -> Path:
    """Merge `rows` into the labels CSV by study UID; written to a temp file, then renamed."""
    path = labels_csv_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, dict[str, str]] = {}
    if path.exists():
        with open(path, newline="") as existing:
            merged = {row["study_instance_uid"]: row for row in csv.DictReader(existing)}
    merged.update((row["study_instance_uid"], row) for row in rows)
    ordered = sorted(merged.values(), key=lambda r: (SPLITS.index(r["split"]), int(r["index"])))
    temporary = path.with_suffix(".csv.tmp")
    with open(temporary, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=LABELS_CSV_FIELDS)
        writer.writeheader()
        writer.writerows(ordered)
    os.replace(temporary, path)
    return path


# dcmtk's tools call with these AE titles unless told otherwise; the demo admits them from this
# machine only, so `storescu`, `findscu`, `movescu --port 11113` and `getscu` work out of the box.
DEMO_DEVICES: dict[str, dict[str, object]] = {
    "ECHOSCU": {},
    "STORESCU": {"may_store": True},
    "FINDSCU": {"may_query": True},
    "MOVESCU": {
        "may_query": True,
        "may_retrieve": True,
        "is_move_destination": True,
        "port": 11113,
    },
    "GETSCU": {"may_query": True, "may_retrieve": True},
}


def demo_devices_register() -> list[str]:
    """Register the demo's DICOM devices (loopback only) that are not there yet; returns their
    AE titles. Devices an administrator already set up are left as they are."""
    added = []
    for ae_title, rights in DEMO_DEVICES.items():
        if not DicomDevice.objects.filter(ae_title=ae_title).exists():
            description = "demo: dcmtk's default AE title, from this machine only"
            device_create(ae_title=ae_title, host="127.0.0.1", description=description, **rights)
            added.append(ae_title)
    return added
