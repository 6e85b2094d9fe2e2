"""Distinct studies for fault runs, from real files of ../shared/data: chest radiographs
(PneumoniaMNIST images wrapped as DX, which the model scores) and the small pydicom CT (which it
sets aside as not applicable), rewritten with pydicom to fresh Study, Series and SOP Instance UIDs
and one patient per study."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from tests.conftest import SHARED_DICOM

CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"


@dataclass(frozen=True)
class SentInstance:
    """An instance as a client sends it: its UIDs and the exact bytes of its Part 10 file."""

    study_uid: str
    series_uid: str
    sop_uid: str
    data: bytes


@dataclass(frozen=True)
class FaultStudy:
    instances: tuple[SentInstance, ...]

    @property
    def uid(self) -> str:
        return self.instances[0].study_uid


@cache
def _chest_images() -> tuple[object, ...]:
    from archive.services.demo import PNEUMONIA_NPZ, pneumonia_images

    return tuple(pneumonia_images(npz_path=SHARED_DICOM.parent / PNEUMONIA_NPZ, count=40))


def fault_studies(count: int, *, radiographs: int = 2, with_ct: bool = True) -> list[FaultStudy]:
    """`count` new studies of `radiographs` DX instances (one series) and, with `with_ct`, one CT
    instance (a second series), every UID fresh."""
    from archive.services.demo import dx_dataset

    images = _chest_images()
    studies = []
    for n in range(count):
        study_uid, dx_series = generate_uid(), generate_uid()
        instances = []
        for k in range(radiographs):
            ds = dx_dataset(images[(n * radiographs + k) % len(images)], today=dt.date.today())
            _identify(ds, n, study_uid, dx_series, instance_number=k + 1)
            instances.append(_sent(ds))
        if with_ct:
            ds = pydicom.dcmread(CT)
            _identify(ds, n, study_uid, generate_uid(), instance_number=1)
            instances.append(_sent(ds))
        studies.append(FaultStudy(tuple(instances)))
    return studies


def _identify(ds: Dataset, n: int, study_uid: str, series_uid: str, instance_number: int) -> None:
    ds.PatientID = f"FAULTS-{study_uid[-12:]}"
    ds.PatientName = f"FAULTS^STUDY{n}"
    ds.PatientBirthDate = "20200101"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = study_uid
    ds.AccessionNumber = f"F{study_uid[-10:]}"
    ds.StudyID = str(n + 1)
    ds.StudyDate = dt.date.today().strftime("%Y%m%d")
    ds.StudyTime = "120000"
    ds.SeriesInstanceUID = series_uid
    ds.SOPInstanceUID = generate_uid()
    ds.InstanceNumber = instance_number
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def _sent(ds: Dataset) -> SentInstance:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return SentInstance(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, buffer.getvalue()
    )


def write_files(studies: list[FaultStudy], folder: Path) -> dict[str, Path]:
    """Each instance as a file in `folder` (a C-STORE client sends files); path by SOP UID."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for study in studies:
        for instance in study.instances:
            path = folder / f"{instance.sop_uid}.dcm"
            path.write_bytes(instance.data)
            paths[instance.sop_uid] = path
    return paths
