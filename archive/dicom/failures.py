"""Why an instance was refused, with the PS3.18/PS3.4 Failure Reason code that STOW-RS reports."""

from __future__ import annotations

# PS3.4 C-STORE / PS3.18 STOW-RS failure reasons.
PROCESSING_FAILURE = 0x0110
SOP_CLASS_NOT_SUPPORTED = 0x0122
OUT_OF_RESOURCES = 0xA700
DATASET_DOES_NOT_MATCH = 0xA900
CANNOT_UNDERSTAND = 0xC000
TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122


class InstanceRefused(Exception):
    """An instance cannot be stored; `reason` is a sentence a sender can act on."""

    def __init__(
        self,
        reason: str,
        *,
        failure_code: int = CANNOT_UNDERSTAND,
        sop_class_uid: str = "",
        sop_instance_uid: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.failure_code = failure_code
        self.sop_class_uid = sop_class_uid
        self.sop_instance_uid = sop_instance_uid
