"""manage.py import_dicom: files, folders and DICOMDIR filesets through the ingest service."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from django.core.management import CommandError, call_command

from archive.models import Instance, Patient, Series, Study
from tests.conftest import SHARED_DICOM, malformed_dicom_files

FILESET = SHARED_DICOM / "dicomdir_fileset"
GOOD = [
    SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
    SHARED_DICOM / "transfer_syntaxes" / "1.2.840.10008.1.2.5_rle" / "CT1_RLE.dcm",
]


def import_dicom(*paths: Path) -> str:
    out = io.StringIO()
    call_command("import_dicom", *map(str, paths), stdout=out, verbosity=0)
    return out.getvalue()


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Good files in a subfolder, every malformed file, and a note that is not DICOM."""
    (tmp_path / "good").mkdir()
    for path in GOOD:
        shutil.copy(path, tmp_path / "good" / path.name)
    shutil.copytree(SHARED_DICOM / "malformed", tmp_path / "malformed")
    (tmp_path / "README.md").write_text("not an instance")
    return tmp_path


@pytest.mark.django_db
def test_it_stores_the_good_files_of_a_folder_and_lists_each_refusal_with_its_reason(
    mixed_folder: Path,
) -> None:
    output = import_dicom(mixed_folder)

    assert Instance.objects.count() == len(GOOD)
    refused_lines = [line for line in output.splitlines() if line.startswith("refused ")]
    assert len(refused_lines) == len(malformed_dicom_files())
    for path in malformed_dicom_files():
        line = next(line for line in refused_lines if f"/{path.name}: " in line)
        assert len(line.split(": ", 1)[1]) > 10, line  # a reason a sender can act on
    assert "badVR.dcm: Number of Frames (0028,0008) is '1A', not an integer" in output
    assert f"stored {len(GOOD)}, already stored 0, refused {len(malformed_dicom_files())}" in output


@pytest.mark.django_db
def test_it_copies_the_source_files_and_leaves_them_as_they_were(tmp_path: Path) -> None:
    source = tmp_path / GOOD[0].name
    shutil.copy(GOOD[0], source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    import_dicom(source)

    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    instance = Instance.objects.get()
    assert instance.sha256 == digest
    assert Path(instance.file.path) != source


@pytest.mark.django_db
def test_it_counts_instances_already_stored_instead_of_storing_them_twice() -> None:
    import_dicom(*GOOD)
    output = import_dicom(*GOOD)

    assert Instance.objects.count() == len(GOOD)
    assert f"stored 0, already stored {len(GOOD)}, refused 0" in output


def dicomdir_record_counts() -> Counter[str]:
    """Records per level; the data README says 12 series, the DICOMDIR (and the files) hold 13."""
    records = pydicom.dcmread(FILESET / "DICOMDIR").DirectoryRecordSequence
    return Counter(str(record.DirectoryRecordType) for record in records)


@pytest.mark.django_db
def test_it_imports_the_instances_a_dicomdir_references() -> None:
    expected = dicomdir_record_counts()

    output = import_dicom(FILESET / "DICOMDIR")

    assert Patient.objects.count() == expected["PATIENT"]
    assert Study.objects.count() == expected["STUDY"]
    assert Series.objects.count() == expected["SERIES"]
    assert Instance.objects.count() == expected["IMAGE"]
    assert f"stored {expected['IMAGE']}, already stored 0, refused 0" in output


@pytest.mark.django_db
def test_it_passes_over_the_dicomdir_itself_when_scanning_its_folder() -> None:
    output = import_dicom(FILESET)

    assert Instance.objects.count() == dicomdir_record_counts()["IMAGE"]
    assert "refused 0" in output
    assert not Instance.objects.filter(sop_class_uid="1.2.840.10008.1.3.10").exists()


@pytest.mark.django_db
def test_it_fails_only_when_nothing_could_be_stored_and_something_was_refused() -> None:
    bad = SHARED_DICOM / "malformed" / "badVR.dcm"

    with pytest.raises(CommandError, match="No instance could be stored"):
        import_dicom(bad)
    import_dicom(GOOD[0], bad)  # one stored: success
    import_dicom(GOOD[0], bad)  # already stored counts as stored: success


@pytest.mark.django_db
def test_it_reports_a_missing_path() -> None:
    with pytest.raises(CommandError, match="does not exist"):
        import_dicom(SHARED_DICOM / "no-such-file.dcm")
