"""De-identification of what annotators are served: PS3.15's Basic Application Level
Confidentiality Profile on pydicom data sets (no Django here, so it tests on bare data sets)."""

from annotations.deid.dataset import DeidOptions, deidentify
from annotations.deid.uids import uid_remap

__all__ = ["DeidOptions", "deidentify", "uid_remap"]
