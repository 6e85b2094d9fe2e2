"""DICOM JSON (PS3.18 F.2) building blocks shared by the DICOMweb endpoints."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

DICOM_JSON = "application/dicom+json"


def attr(vr: str, *values: Any) -> dict[str, Any]:
    """One DICOM JSON attribute; empty values give an attribute with no Value, as PS3.18 says."""
    present = [v for v in values if v not in (None, "")]
    if not present:
        return {"vr": vr}
    if vr == "PN":
        return {"vr": vr, "Value": [{"Alphabetic": v} for v in present]}
    return {"vr": vr, "Value": present}


def dicom_json_response(body: Any, *, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, separators=(",", ":")), status=status, content_type=DICOM_JSON
    )
