"""POST /api/annotate/export/dicom, then our own DICOMweb with dicomweb-client against the live
server: QIDO-RS finds the SEG and SR in the source study, WADO-RS gives them back, the SEG's
pixels are the label's mask, and its frames and metadata are what the reading viewer's SEG
overlay reads (bit-packed uncompressed frames naming their source image)."""

from __future__ import annotations

import highdicom as hd
import numpy as np
import pytest

from annotations.models import Label, LabelSchema
from annotations.services.export_dataset import mask_encode
from archive.models import Instance
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.archive.dicomweb_helpers import dicomweb_client
from tests.conftest import SHARED_DICOM

pytestmark = pytest.mark.django_db(transaction=True)
TASK = CHEST_XRAY_PNEUMONIA.name
NEGATIVE = CHEST_XRAY_PNEUMONIA.negative_class.key
DX = SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm"  # 169 rows x 211 columns
URL = "/api/annotate/export/dicom"
VIEWER_FRAME_ACCEPT = (
    'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
)


@pytest.fixture
def labelled(ingest_file, make_user):
    """A stored image with an adjudicated mask, box and class; (image, mask)."""
    image = Instance.objects.select_related("series__study").get(pk=ingest_file(DX).instance_id)
    schema = LabelSchema.objects.get(task=TASK, version=1)
    reviewer = make_user("reviewer", "export-reviewer")
    mask = np.zeros((image.rows, image.columns), dtype=bool)
    mask[30:80, 40:120] = True
    mask[90:100, 10:20] = True
    box = {"class": schema.box_classes[0]["key"], "x": 40, "y": 30, "width": 80, "height": 50}
    for kind, value in [
        ("mask", {"class": schema.mask_classes[0]["key"], **mask_encode(mask)}),
        ("box", box),
        ("class", NEGATIVE),
    ]:
        Label.objects.create(
            task=TASK,
            study=image.series.study,
            instance=image,
            kind=kind,
            value=value,
            source=Label.Source.ADJUDICATED,
            author=reviewer,
        )
    return image, mask


@pytest.fixture
def reader(archive_server, make_user):
    from accounts.services import token_issue

    make_user("radiologist", "export-reader")
    return dicomweb_client(archive_server, token_issue(username="export-reader"))


def test_the_exported_seg_and_sr_round_trip_through_our_dicomweb(client_for, labelled, reader):
    image, mask = labelled
    study_uid = image.series.study.study_instance_uid

    response = client_for("admin").post(URL, {"task": TASK}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 2 and response.json()["skipped"] == []
    found = {s["00080060"]["Value"][0]: s for s in reader.search_for_series(study_uid)}
    assert {"DX", "SEG", "SR"} <= set(found)
    seg_series = found["SEG"]["0020000E"]["Value"][0]
    [seg_meta] = reader.search_for_instances(study_uid, seg_series)
    seg_uid = seg_meta["00080018"]["Value"][0]
    seg = hd.seg.Segmentation.from_dataset(reader.retrieve_instance(study_uid, seg_series, seg_uid))
    assert [uids[2] for uids in seg.get_source_image_uids()] == [image.sop_instance_uid]
    pixels = seg.get_pixels_by_source_instance([image.sop_instance_uid], combine_segments=True)
    assert np.array_equal(pixels[0] == 1, mask)

    sr_series = found["SR"]["0020000E"]["Value"][0]
    [sr_meta] = reader.search_for_instances(study_uid, sr_series)
    sr_uid = sr_meta["00080018"]["Value"][0]
    sr = hd.sr.Comprehensive3DSR.from_dataset(
        reader.retrieve_instance(study_uid, sr_series, sr_uid)
    )
    [region] = sr.content.get_planar_roi_measurement_groups()
    assert region.roi.value.tolist() == [[40, 30], [120, 30], [120, 80], [40, 80], [40, 30]]


def test_the_seg_is_what_the_viewers_overlay_reads(client_for, labelled, reader):
    image, mask = labelled
    study_uid = image.series.study.study_instance_uid
    exported = client_for("admin").post(URL, {"task": TASK}, format="json").json()["objects"]
    [seg] = [o for o in exported if o["modality"] == "SEG"]

    metadata = reader.retrieve_instance_metadata(
        study_uid, seg["series_instance_uid"], seg["sop_instance_uid"]
    )
    assert metadata["00620001"]["Value"] == ["BINARY"]
    assert metadata["00280100"]["Value"] == [1]
    referenced = metadata["00081115"]["Value"][0]["0020000E"]["Value"][0]
    assert referenced == image.series.series_instance_uid
    [frame_groups] = metadata["52009230"]["Value"]
    source = frame_groups["00089124"]["Value"][0]["00082112"]["Value"][0]
    assert source["00081155"]["Value"] == [image.sop_instance_uid]
    [frame] = reader.retrieve_instance_frames(
        study_uid,
        seg["series_instance_uid"],
        seg["sop_instance_uid"],
        frame_numbers=[1],
        media_types=(("application/octet-stream", "1.2.840.10008.1.2.1"),),
    )
    # 1-bit frames, least significant bit first, as segFrames.ts unpacks them.
    bits = np.unpackbits(np.frombuffer(frame, np.uint8), bitorder="little")
    assert np.array_equal(bits[: mask.size].reshape(mask.shape).astype(bool), mask)


@pytest.mark.parametrize("role", ["annotator", "reviewer", "radiologist"])
def test_only_admins_store_exports_in_the_archive(client_for, role):
    response = client_for(role).post(URL, {"task": TASK}, format="json")

    assert response.status_code == 403
    assert not Instance.objects.filter(series__modality__in=["SEG", "SR"]).exists()
