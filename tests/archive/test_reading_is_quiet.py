"""Real files that bend a rule in an attribute the archive does not rely on (here a referenced
UID with a leading zero in a component) are stored and served without a warning on the console:
pydicom's "Invalid value for VR UI" lines read as errors to whoever runs the product. The
attributes the archive relies on are checked by the archive itself (tests/archive/test_stow.py).
"""

from __future__ import annotations

import warnings

import pydicom

from tests.conftest import SHARED_DICOM

RT_DOSE = SHARED_DICOM / "multiframe" / "rtdose_15f.dcm"


def test_a_nested_uid_with_a_leading_zero_is_stored_and_described_without_warnings(
    ingest_file, client_for
):
    nested = pydicom.dcmread(RT_DOSE, stop_before_pixels=True)
    study_uid = nested.StudyInstanceUID
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stored = ingest_file(RT_DOSE)
        response = client_for("reviewer").get(f"/dicomweb/studies/{study_uid}/metadata")
        body = b"".join(response.streaming_content) if response.streaming else response.content

    assert stored.sop_instance_uid == nested.SOPInstanceUID
    assert response.status_code == 200
    # The odd value is kept as the modality sent it.
    assert b"1.2.123.456.78.9.0123.4567.89012345678901" in body
