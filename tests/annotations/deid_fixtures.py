"""Studies with known identifiers, stored through the real ingest path, and annotation cases
over them held by annotators: what the de-identification tests look for in every answer."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

SHARED_DICOM = Path(__file__).resolve().parents[3] / "shared" / "data" / "dicom"

BASE_FILE = SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm"
TASK = "chest_xray_pneumonia"


@dataclass
class Identifiers:
    """What identifies one patient's study; none of it may reach an annotator."""

    tag: str  # makes every text unique to this study
    study_uid: str = field(default_factory=generate_uid)
    series_uid: str = field(default_factory=generate_uid)
    frame_of_reference_uid: str = field(default_factory=generate_uid)
    sop_uids: list[str] = field(default_factory=list)

    @property
    def texts(self) -> dict[str, str]:
        t = self.tag
        return {
            "PatientName": f"Phiname{t}^Zebulon",
            "PatientID": f"PHIID{t}4242",
            "PatientBirthDate": "19470315",
            "AccessionNumber": f"ACC{t}9988",
            "InstitutionName": f"Saint Phi{t} Hospital",
            "ReferringPhysicianName": f"Referrer{t}^Quentin",
            "OtherPatientIDs": f"OTHER{t}777",
            "StudyDate": "20190704",
            "SeriesDate": "20190705",
            "AcquisitionDate": "20190706",
            "ContentDate": "20190707",
        }

    def secrets(self) -> list[str]:
        """Every identifying string, in the forms an answer might show it (a date in ISO too)."""
        values = [*self.texts.values(), self.study_uid, self.series_uid]
        values += [self.frame_of_reference_uid, *self.sop_uids]
        values += ["Phiname" + self.tag, "Referrer" + self.tag]  # a name in another order
        for date in ("19470315", "20190704", "20190705", "20190706", "20190707"):
            values.append(f"{date[:4]}-{date[4:6]}-{date[6:]}")
        return values


def phi_dataset(ids: Identifiers, *, sop_uid: str | None = None) -> Dataset:
    """The shared DX image dressed with `ids`, a private element and a nested name."""
    ds = pydicom.dcmread(BASE_FILE)
    for keyword, value in ids.texts.items():
        setattr(ds, keyword, value)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = ids.study_uid, ids.series_uid
    ds.FrameOfReferenceUID = ids.frame_of_reference_uid
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    block = ds.private_block(0x0041, "PHI VENDOR", create=True)
    block.add_new(0x10, "LO", ids.texts["PatientName"])
    item = Dataset()
    item.ReferencedSOPClassUID = ds.SOPClassUID
    item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    item.PatientName = ids.texts["PatientName"]
    ds.SourceImageSequence = [item]
    ids.sop_uids.append(ds.SOPInstanceUID)
    return ds


def dataset_bytes(ds: Dataset) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def store(ds: Dataset) -> Any:
    """Ingest through the one service behind STOW-RS, C-STORE and import; the Instance row."""
    from archive.models import Instance
    from archive.services.ingest import instance_ingest

    result = instance_ingest(fp=io.BytesIO(dataset_bytes(ds)), source="test")
    return Instance.objects.select_related("series__study").get(pk=result.instance_id)


def case_make(
    instance: Any, *, pseudonym: str, holders: list[tuple[Any, str]], labels_required: int = 2
) -> Any:
    """An annotation case of `instance` whose slots 1.. are held by (user, status) pairs."""
    from annotations.models import AnnotationBatch, AnnotationCase, CaseSlot

    batch = AnnotationBatch.objects.create(
        task=TASK, strategy="random", pool_size=1, size=1, labels_required=labels_required
    )
    case = AnnotationCase.objects.create(
        task=TASK,
        pseudonym=pseudonym,
        batch=batch,
        rank=0,
        study=instance.series.study,
        instance=instance,
        strategy="random",
        labels_required=labels_required,
    )
    for number in range(1, labels_required + 1):
        user, status = holders[number - 1] if number <= len(holders) else (None, "free")
        CaseSlot.objects.create(case=case, number=number, annotator=user, status=status)
    return case


def shared_file() -> Path:
    return BASE_FILE


def client_of(user: Any) -> Any:
    """An API client authenticated by token as `user`."""
    from rest_framework.test import APIClient

    from accounts.services import token_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(username=user.username)}")
    return client


def body_of(response: Any) -> bytes:
    """The whole body of a response, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def multipart_parts(response: Any) -> list[tuple[dict[str, str], bytes]]:
    """(headers, bytes) of each part of a multipart/related response."""
    params = dict(p.strip().split("=", 1) for p in response["Content-Type"].split(";")[1:])
    delimiter = b"--" + params["boundary"].strip('"').encode()
    parts = []
    for chunk in body_of(response).split(b"\r\n" + delimiter)[:-1]:
        head, _, data = chunk.removeprefix(delimiter).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts.append((dict(line.split(": ", 1) for line in lines if ": " in line), data))
    return parts
