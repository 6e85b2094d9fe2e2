"""Per-model config (plug-in) for the chest X-ray pneumonia classifier: which images it scores
and how a DICOM dataset becomes its inputs. No TensorFlow here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pydicom

from ml.core.preprocessing import (
    MONOCHROME,
    NotApplicable,
    PixelMeta,
    frames_from_dataset,
    preprocess,
)
from ml.core.spec import InputSpec, TrainingConfig

RADIOGRAPH_MODALITIES = ("DX", "CR")
# Secondary Capture Image Storage (...1.1.7) and its multi-frame variants (...1.1.7.1-7.4):
# screenshots and scans of film, whose pixels went through unknown processing. Matched exactly
# or by "7." prefix so that e.g. ...1.1.77.x (visible light) is not caught by accident.
SECONDARY_CAPTURE_UID = "1.2.840.10008.5.1.4.1.1.7"


@dataclass(frozen=True)
class PreparedImage:
    """One frame ready for the model. frame_number is 1-based, as in DICOM and WADO-RS."""

    frame_number: int
    image: np.ndarray  # float32 (image_size, image_size, 1)


@dataclass(frozen=True)
class NotApplicableImage:
    """Why an instance (frame_number None) or one of its frames cannot be scored."""

    frame_number: int | None
    reason: str


@dataclass(frozen=True)
class ChestXrayConfig:
    """Chest radiograph, pneumonia vs normal. Contract for a model config:

    - `eligibility(ds)`: None when the model may score the dataset, else a reason (str);
      reads header attributes only, never pixel data.
    - `prepare(ds)`: eligibility + decoding + preprocessing, one entry per frame (or a single
      instance-level NotApplicableImage). Pure, safe to call repeatedly.
    - `training_config()`: the default TrainingConfig for this model.
    """

    name: str = "chest_xray_classifier"
    task: str = "chest_xray_pneumonia"
    spec: InputSpec = field(default_factory=InputSpec)

    def eligibility(self, ds: pydicom.Dataset) -> str | None:
        sop_class = str(ds.get("SOPClassUID", "")).strip()
        if sop_class == SECONDARY_CAPTURE_UID or sop_class.startswith(SECONDARY_CAPTURE_UID + "."):
            return "secondary capture images are not applicable"
        modality = str(ds.get("Modality", "")).strip().upper()
        if modality not in RADIOGRAPH_MODALITIES:
            return f"modality {modality or '(missing)'} is not a chest radiograph"
        body_part = str(ds.get("BodyPartExamined", "") or "").strip().upper()
        if body_part not in ("", "CHEST"):
            return f"body part {body_part} is not the chest"
        photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
        if photometric not in MONOCHROME:
            return f"photometric interpretation {photometric or '(missing)'} is not supported"
        return None

    def prepare(self, ds: pydicom.Dataset) -> list[PreparedImage | NotApplicableImage]:
        reason = self.eligibility(ds)
        if reason is not None:
            return [NotApplicableImage(frame_number=None, reason=reason)]
        try:
            frames = frames_from_dataset(ds)
        except NotApplicable as error:
            return [NotApplicableImage(frame_number=None, reason=error.reason)]
        meta = PixelMeta.from_dataset(ds)
        prepared: list[PreparedImage | NotApplicableImage] = []
        for number, frame in enumerate(frames, start=1):
            try:
                prepared.append(PreparedImage(number, preprocess(frame, meta, self.spec)))
            except NotApplicable as error:
                prepared.append(NotApplicableImage(number, error.reason))
        return prepared

    def training_config(self) -> TrainingConfig:
        return TrainingConfig(spec=self.spec)
