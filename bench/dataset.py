"""Benchmark data: copies of the shared real DICOM files with fresh UIDs, generated once.

Everything lands under <work>/data with a manifest.json; a later run with the same parameters
reuses it. Both servers start empty each run, so re-sending the same files is still "new" to them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import FileDataset
from pydicom.uid import generate_uid

SHARED = Path("/work/shared/data/dicom")
VERSION = 3  # bump when the layout or content of the generated data changes

CT_512 = [
    "ct/dcmqi_ct_3slice/01.dcm",
    "ct/dcmqi_ct_3slice/02.dcm",
    "ct/dcmqi_ct_3slice/03.dcm",
    "ct/wg04_ct1_chest/CT1_UNC.dcm",
]
MR_SERIES = [f"mr/qin_prostate_adc_20slices/{i:06d}.dcm" for i in range(20)]
MR_HEAD = "mr/wg04_mr1_head/MR1_UNC.dcm"
CR_CHEST = "cr_dx/wg04_RG1_chest_CR_uncompressed.dcm"
DX_SMALL = "cr_dx/highdicom_dx_chest_veterinary.dcm"
FRAME_CT = "ct/wg04_ct1_chest/CT1_UNC.dcm"

# Surnames are stem + ending so that a prefix query ("ANDERST*") matches a few dozen studies.
STEMS = [
    "ANDER",
    "BERG",
    "CARL",
    "DAHL",
    "EKLUND",
    "FORS",
    "GRAN",
    "HOLM",
    "ISAK",
    "JOHAN",
    "KARL",
    "LIND",
    "MALM",
    "NORD",
    "OLOF",
    "PETER",
    "ROS",
    "SAND",
    "STEN",
    "TOR",
    "ULF",
    "VIK",
    "WALL",
    "YNGVE",
    "ZETTER",
    "BJOR",
    "ASP",
    "HED",
    "LJUNG",
    "MOBERG",
]
ENDINGS = [
    "SON",
    "MAN",
    "STROM",
    "LUND",
    "BERG",
    "GREN",
    "QVIST",
    "DAHL",
    "HOLM",
    "BLAD",
    "FELT",
    "NER",
    "STEDT",
    "SJO",
    "MARK",
]
GIVEN = [
    "ANNA",
    "ERIK",
    "MARIA",
    "LARS",
    "KARIN",
    "JOHAN",
    "SARA",
    "PER",
    "EMMA",
    "NILS",
    "ELSA",
    "OLLE",
    "INGRID",
    "AXEL",
    "LINNEA",
    "GUSTAV",
    "MAJA",
    "HUGO",
    "ALICE",
    "OSCAR",
]


@dataclass
class Dataset:
    root: str
    params: dict[str, Any]
    ingest: dict[str, list[str]] = field(default_factory=dict)  # set name -> files
    ingest_bytes: dict[str, int] = field(default_factory=dict)
    warmup: list[str] = field(default_factory=list)  # 40 tiny one-instance studies
    cstore_warmup: list[str] = field(default_factory=list)  # 10 more, in one folder
    qido_files: list[str] = field(default_factory=list)
    qido_studies: list[dict[str, str]] = field(default_factory=list)
    frame: dict[str, str] = field(default_factory=dict)  # study, series, sop, path
    series: dict[str, Any] = field(default_factory=dict)  # study, series, paths


def ensure_dataset(
    work: Path, *, ingest_sets: list[str], visits_per_set: int, qido_studies: int
) -> Dataset:
    """Load the generated data for these parameters, generating it first if needed."""
    root = work / "data"
    manifest = root / "manifest.json"
    params = {
        "version": VERSION,
        "ingest_sets": ingest_sets,
        "visits_per_set": visits_per_set,
        "qido_studies": qido_studies,
    }
    if manifest.exists():
        loaded = Dataset(**json.loads(manifest.read_text()))
        if loaded.params == params:
            return loaded
    shutil.rmtree(root, ignore_errors=True)
    data = Dataset(root=str(root), params=params)
    _generate(data, root, ingest_sets, visits_per_set, qido_studies)
    manifest.write_text(json.dumps(asdict(data)))
    return data


def _generate(
    data: Dataset, root: Path, ingest_sets: list[str], visits: int, qido_studies: int
) -> None:
    templates = _Templates()
    visit_no = 0
    for name in ingest_sets:
        files: list[str] = []
        for _ in range(visits):
            files += _write_visit(templates, root / "ingest" / name, visit_no)
            visit_no += 1
        data.ingest[name] = files
        data.ingest_bytes[name] = sum(Path(f).stat().st_size for f in files)
    # Warm-up sends are many new studies, so that every server process has run the whole path.
    data.warmup, _ = _write_tiny_studies(root / "warmup" / "stow", 40, prefix="W", seed=1)
    data.cstore_warmup, _ = _write_tiny_studies(root / "warmup" / "cstore", 10, prefix="C", seed=2)
    data.qido_files, data.qido_studies = _write_tiny_studies(root / "qido", qido_studies)
    data.frame = _write_frame_instance(templates, root / "wado")
    data.series = _write_mr_series(templates, root / "wado")


class _Templates:
    """Source datasets read once; each copy mutates UIDs and demographics, then saves."""

    def __init__(self) -> None:
        self._cache: dict[str, FileDataset] = {}

    def get(self, rel: str) -> FileDataset:
        if rel not in self._cache:
            self._cache[rel] = pydicom.dcmread(SHARED / rel)
        return self._cache[rel]


@dataclass
class _Study:
    uid: str
    patient_id: str
    patient_name: str
    accession: str
    date: str
    description: str = ""
    birth_date: str = ""
    sex: str = ""


def _write_copy(
    ds: FileDataset,
    path: Path,
    study: _Study,
    *,
    series_uid: str,
    frame_uid: str,
    series_number: int,
    instance_number: int,
) -> str:
    sop_uid = generate_uid()
    ds.SOPInstanceUID = sop_uid
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study.uid
    ds.SeriesInstanceUID = series_uid
    if "FrameOfReferenceUID" in ds:
        ds.FrameOfReferenceUID = frame_uid
    ds.PatientID = study.patient_id
    ds.PatientName = study.patient_name
    ds.PatientBirthDate = study.birth_date
    ds.PatientSex = study.sex
    ds.AccessionNumber = study.accession
    ds.StudyDate = study.date
    ds.StudyID = study.accession[-8:]
    ds.StudyDescription = study.description
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path)
    return str(path)


def _write_series(
    templates: _Templates, out: Path, study: _Study, sources: list[str], series_number: int
) -> list[str]:
    series_uid, frame_uid = generate_uid(), generate_uid()
    return [
        _write_copy(
            templates.get(rel),
            out / f"{series_number:02d}_{i:03d}.dcm",
            study,
            series_uid=series_uid,
            frame_uid=frame_uid,
            series_number=series_number,
            instance_number=i + 1,
        )
        for i, rel in enumerate(sources)
    ]


def _write_visit(templates: _Templates, out: Path, visit_no: int) -> list[str]:
    """One patient's visit: CT 24 slices 512x512, MR 20+4 slices, CR chest + DX: 50 instances."""
    base = out / f"visit{visit_no:04d}"
    pid, name = f"ING{visit_no:05d}", f"INGEST^VISIT{visit_no}"

    def study(kind: str) -> _Study:
        return _Study(
            uid=generate_uid(),
            patient_id=pid,
            patient_name=name,
            accession=f"I{visit_no:05d}{kind}",
            date="20240115",
            description=f"bench {kind}",
        )

    ct, mr, cr = study("CT"), study("MR"), study("CR")
    files = _write_series(templates, base / "ct", ct, [CT_512[i % 4] for i in range(24)], 1)
    files += _write_series(templates, base / "mr", mr, MR_SERIES, 1)
    files += _write_series(templates, base / "mr", mr, [MR_HEAD] * 4, 2)
    files += _write_series(templates, base / "cr", cr, [CR_CHEST], 1)
    files += _write_series(templates, base / "cr", cr, [DX_SMALL], 2)
    return files


def _write_tiny_studies(
    out: Path, count: int, *, prefix: str = "Q", seed: int = 20240501
) -> tuple[list[str], list[dict[str, str]]]:
    """`count` one-instance studies of 16x16 images, 4 studies per patient."""
    rng = random.Random(seed)
    sources = sorted(
        p for p in (SHARED / "dicomdir_fileset").rglob("*") if p.is_file() and p.name != "DICOMDIR"
    )
    datasets = [pydicom.dcmread(p) for p in sources]
    first_day = dt.date(2012, 1, 1)
    files: list[str] = []
    studies: list[dict[str, str]] = []
    patient: _Study | None = None
    for n in range(count):
        if n % 4 == 0:
            surname = rng.choice(STEMS) + rng.choice(ENDINGS)
            patient = _Study(
                uid="",
                patient_id=f"{prefix}P{n // 4:06d}",
                patient_name=f"{surname}^{rng.choice(GIVEN)}",
                accession="",
                date="",
                birth_date=f"{rng.randint(1930, 2015)}0101",
                sex=rng.choice("MF"),
            )
        assert patient is not None
        date = first_day + dt.timedelta(days=rng.randrange(13 * 365))
        ds = datasets[rng.randrange(len(datasets))]
        study = _Study(
            uid=generate_uid(),
            patient_id=patient.patient_id,
            patient_name=patient.patient_name,
            accession=f"{prefix}A{n:08d}",
            date=date.strftime("%Y%m%d"),
            description=f"{ds.Modality} study",
            birth_date=patient.birth_date,
            sex=patient.sex,
        )
        path = out / f"{n // 1000:02d}" / f"{n:05d}.dcm"
        files.append(
            _write_copy(
                ds,
                path,
                study,
                series_uid=generate_uid(),
                frame_uid=generate_uid(),
                series_number=1,
                instance_number=1,
            )
        )
        studies.append(
            {
                "study_uid": study.uid,
                "patient_id": study.patient_id,
                "patient_name": study.patient_name,
                "accession": study.accession,
                "study_date": study.date,
                "modality": str(ds.Modality),
            }
        )
    return files, studies


def _write_frame_instance(templates: _Templates, out: Path) -> dict[str, str]:
    study = _Study(
        uid=generate_uid(),
        patient_id="WADO1",
        patient_name="WADO^FRAME",
        accession="WADOCT",
        date="20240301",
    )
    (path,) = _write_series(templates, out / "frame", study, [FRAME_CT], 1)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return {
        "study": study.uid,
        "series": ds.SeriesInstanceUID,
        "sop": ds.SOPInstanceUID,
        "path": path,
    }


def _write_mr_series(templates: _Templates, out: Path) -> dict[str, Any]:
    study = _Study(
        uid=generate_uid(),
        patient_id="WADO2",
        patient_name="WADO^SERIES",
        accession="WADOMR",
        date="20240301",
    )
    paths = _write_series(templates, out / "series", study, MR_SERIES, 1)
    ds = pydicom.dcmread(paths[0], stop_before_pixels=True)
    return {
        "study": study.uid,
        "series": ds.SeriesInstanceUID,
        "paths": paths,
        "bytes": sum(Path(p).stat().st_size for p in paths),
    }
