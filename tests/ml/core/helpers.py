"""In-memory DICOM datasets and paths to the shared real files, for the ml/core tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
SHARED_DICOM = SHARED_DATA / "dicom"
PNEUMONIAMNIST = (
    SHARED_DATA / "classification" / "pneumoniamnist" / "pneumoniamnist_trainval_28.npz"
)
DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def make_dataset(
    pixels: np.ndarray | None,
    *,
    photometric: str = "MONOCHROME2",
    modality: str = "DX",
    sop_class: str = DX_FOR_PRESENTATION,
    body_part: str | None = "CHEST",
    **attributes: object,
) -> Dataset:
    """A minimal grayscale instance; pixels (rows, cols) or (frames, rows, cols) as uint16,
    None for an instance without Pixel Data. Extra keyword arguments become attributes."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = modality
    if body_part is not None:
        ds.BodyPartExamined = body_part
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = 1
    if pixels is not None:
        stored = np.asarray(pixels, dtype=np.uint16)
        ds.Rows, ds.Columns = stored.shape[-2:]
        if stored.ndim == 3:
            ds.NumberOfFrames = stored.shape[0]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = stored.tobytes()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def gradient(rows: int = 64, columns: int = 64, maximum: int = 4000) -> np.ndarray:
    """A smooth non-constant uint16 image: brightness grows left to right and top to bottom."""
    y, x = np.mgrid[0:rows, 0:columns]
    return ((x + 2 * y) * maximum / (columns + 2 * rows)).astype(np.uint16)
