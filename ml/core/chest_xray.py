"""Per-model config (plug-in) for the chest X-ray pneumonia classifier: which images it scores
and how a DICOM dataset becomes its inputs. No TensorFlow here."""

from __future__ import annotations

import re
import unicodedata
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
from ml.core.tasks import CHEST_XRAY_PNEUMONIA

RADIOGRAPH_MODALITIES = CHEST_XRAY_PNEUMONIA.modalities
# Secondary Capture Image Storage (...1.1.7) and its multi-frame variants (...1.1.7.1-7.4):
# screenshots and scans of film, whose pixels went through unknown processing. Matched exactly
# or by "7." prefix so that e.g. ...1.1.77.x (visible light) is not caught by accident.
SECONDARY_CAPTURE_UID = "1.2.840.10008.5.1.4.1.1.7"

# Body Part Examined (0018,0015) values that name the chest. PS3.16 Annex L gives CHEST as the
# defined term (SCT 51185008, the code CID 4031 "Common Anatomic Regions" uses) and LUNG
# (SCT 39607008) for the lungs; modalities and PACS also write the anatomical name THORAX, its
# plural, and names in the local language (TORAX es/pt, TORACE it, BRUST and BRUSTKORB de,
# POITRINE fr, PECHO es, BORST nl, KLATKA PIERSIOWA pl).
CHEST_BODY_PARTS = frozenset(
    {
        "CHEST",
        "THORAX",
        "THORACIC CAGE",
        "THX",
        "LUNG",
        "LUNGS",
        "TORAX",
        "TORACE",
        "BRUST",
        "BRUSTKORB",
        "POITRINE",
        "PECHO",
        "BORST",
        "KLATKA PIERSIOWA",
    }
)
# Words vendors add to the body part that say how, not what, was imaged ("CHEST PA", "PORT
# CHEST", "THORAX AP LIEGEND"). Anything else ("CHEST ABDOMEN", "CHEST RIBS") keeps the value
# out: the model was trained on frontal chest films only.
CHEST_VIEW_WORDS = frozenset(
    {
        "PA",
        "AP",
        "LAT",
        "LATERAL",
        "FRONTAL",
        "PORT",
        "PORTABLE",
        "BEDSIDE",
        "ERECT",
        "UPRIGHT",
        "SUPINE",
        "STANDING",
        "SITTING",
        "LIEGEND",
        "STEHEND",
        "XR",
        "CR",
        "DX",
        "1V",
        "2V",
        "VIEW",
        "VIEWS",
    }
)
# Patient Species Description (0010,2201) values of a human patient; the attribute is present
# only when the patient may be an animal (veterinary imaging).
HUMAN_SPECIES = frozenset({"HOMO SAPIENS", "HUMAN"})


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
    task: str = CHEST_XRAY_PNEUMONIA.name
    spec: InputSpec = field(default_factory=InputSpec)

    def eligibility(self, ds: pydicom.Dataset) -> str | None:
        sop_class = str(ds.get("SOPClassUID", "")).strip()
        if sop_class == SECONDARY_CAPTURE_UID or sop_class.startswith(SECONDARY_CAPTURE_UID + "."):
            return "secondary capture images are not applicable"
        modality = str(ds.get("Modality", "")).strip().upper()
        if modality not in RADIOGRAPH_MODALITIES:
            return f"modality {modality or '(missing)'} is not a chest radiograph"
        body_part = str(ds.get("BodyPartExamined", "") or "").strip()
        if not is_chest_body_part(body_part):
            return f"body part {body_part.upper()} is not the chest"
        species = str(ds.get("PatientSpeciesDescription", "") or "").strip()
        if species and _words(species) not in HUMAN_SPECIES:
            return f"patient species {species} is not human"
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


def is_chest_body_part(value: str) -> bool:
    """True for an empty Body Part Examined (unknown: the modality decides) and for the chest's
    names (CHEST_BODY_PARTS), in any case, with surrounding spaces, accents, separators ("_",
    "-", "/", ",") or view words (CHEST_VIEW_WORDS) around them."""
    words = _words(value).split()
    anatomy = " ".join(word for word in words if word not in CHEST_VIEW_WORDS)
    return not words or anatomy in CHEST_BODY_PARTS


def _words(value: str) -> str:
    """Upper case, accents dropped ("TÓRAX" -> "TORAX"), separators as single spaces."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.split(r"[\s_\-/,.^]+", plain.upper())).strip()
