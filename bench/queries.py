"""The fixed request mixes: QIDO-RS queries drawn from the seeded studies, WADO-RS retrievals."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from urllib.parse import urlencode

DICOM_JSON = "application/dicom+json"
# Orthanc's DICOMweb plugin takes transfer-syntax=* on frames ("as stored"); we ask both for it.
FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
SERIES_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'

QIDO_LABELS = (
    "PatientID exact",
    "PatientName prefix*",
    "StudyDate range, limit=50",
    "AccessionNumber exact",
    "ModalitiesInStudy=CT, limit=50",
    "all studies, limit=50",
)


def _qs(**params: str) -> str:
    return "/studies?" + urlencode(params, safe="*-")


def qido_requests(
    studies: list[dict[str, str]], rounds: int, seed: int = 7
) -> list[dict[str, Any]]:
    """`rounds` rounds of the six query kinds, each round about a different random study."""
    rng = random.Random(seed)
    requests: list[dict[str, Any]] = []
    for _ in range(rounds):
        study = studies[rng.randrange(len(studies))]
        surname = study["patient_name"].split("^")[0]
        first = dt.datetime.strptime(study["study_date"], "%Y%m%d").date()
        last = first + dt.timedelta(days=90)
        paths = (
            _qs(PatientID=study["patient_id"]),
            _qs(PatientName=surname[:6] + "*"),
            _qs(StudyDate=f"{first:%Y%m%d}-{last:%Y%m%d}", limit="50"),
            _qs(AccessionNumber=study["accession"]),
            _qs(ModalitiesInStudy="CT", limit="50"),
            _qs(limit="50"),
        )
        requests += [
            {"label": label, "path": path, "accept": DICOM_JSON}
            for label, path in zip(QIDO_LABELS, paths, strict=True)
        ]
    return requests


def frame_requests(frame: dict[str, str], count: int) -> list[dict[str, Any]]:
    path = f"/studies/{frame['study']}/series/{frame['series']}/instances/{frame['sop']}/frames/1"
    return [{"label": "frame", "path": path, "accept": FRAME_ACCEPT}] * count


def series_requests(series: dict[str, Any], count: int) -> list[dict[str, Any]]:
    path = f"/studies/{series['study']}/series/{series['series']}"
    return [{"label": "series", "path": path, "accept": SERIES_ACCEPT}] * count
