"""DICOM JSON (PS3.18 F.2) of a data set, fast enough to build for every ingested instance.

pydicom's `Dataset.to_json_dict` converts every raw element into a DataElement first, which is
most of the cost of ingest. Here the plain elements (text, numbers, person names in the default,
Latin-1 or UTF-8 character sets) are encoded straight from their raw bytes; everything else
(sequences, binary and bulk data, other character sets, anything unusual) goes through pydicom,
element by element. tests/archive/test_dicom_json.py holds the two equal on every shared file.
Unlike pydicom, an unreadable value does not fail the whole data set: it is encoded empty, and
empty parts of a multi-valued number are null (PS3.18 F.2.5).
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Callable
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

logger = logging.getLogger(__name__)
BulkHandler = Callable[[DataElement], str]

SPECIFIC_CHARACTER_SET = BaseTag(0x00080005)
# Character sets whose text decodes with one Python codec, as pydicom decodes them.
SIMPLE_CHARSETS = {
    "": "latin-1",
    "ISO_IR 6": "latin-1",
    "ISO_IR 100": "latin-1",
    "ISO_IR 192": "utf-8",
}
DEFAULT_ONLY_VRS = {"AE", "AS", "CS", "DA", "DT", "TM"}  # always the default repertoire
MULTI_TEXT_VRS = {"SH", "LO", "UC"}
SINGLE_TEXT_VRS = {"LT", "ST", "UT"}
BINARY_NUMBERS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d"}
# One value in either byte order, precompiled: most binary elements hold exactly one.
SINGLE_VALUE = {
    (vr, little): struct.Struct(("<" if little else ">") + code)
    for vr, code in BINARY_NUMBERS.items()
    for little in (True, False)
}


def dataset_to_json(
    ds: Dataset, *, bulk_data_threshold: int, bulk_data_element_handler: BulkHandler
) -> dict[str, Any]:
    """The data set as a DICOM JSON object, equal to pydicom's `to_json_dict` output."""
    encoding = _text_encoding(ds)
    body: dict[str, Any] = {}
    for tag, element in ds._dict.items():
        fast = _fast(element, encoding) if isinstance(element, RawDataElement) else None
        if fast is None:
            fast = _by_pydicom(ds, tag, bulk_data_threshold, bulk_data_element_handler)
        body[f"{tag:08X}"] = fast
    return body


def _by_pydicom(
    ds: Dataset, tag: BaseTag, bulk_data_threshold: int, handler: BulkHandler
) -> dict[str, Any]:
    try:
        return _finite(ds[tag].to_json_dict(handler, bulk_data_threshold))
    except (ValueError, TypeError, KeyError, OverflowError):
        # A value that cannot be read (e.g. DS "abc") is shown empty; the stored file keeps it.
        vr = getattr(ds._dict[tag], "VR", None) or _dictionary_vr(tag) or "UN"
        logger.warning("invalid_element_in_metadata tag=%s vr=%s", f"{tag:08X}", vr)
        return {"vr": vr}


def _text_encoding(ds: Dataset) -> str | None:
    """The codec for text VRs, or None when only pydicom can decode them."""
    element = ds._dict.get(SPECIFIC_CHARACTER_SET)
    if element is None or element.value is None:
        return "latin-1"
    value = element.value
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    names = [value] if isinstance(value, str) else list(value)
    if len(names) != 1:
        return None  # code extensions (ISO 2022): pydicom switches codecs mid-value
    return SIMPLE_CHARSETS.get(str(names[0]).strip(" \x00"))


def _fast(element: RawDataElement, encoding: str | None) -> dict[str, Any] | None:
    value = element.value
    if value is None or element.length == 0xFFFFFFFF:
        return None
    vr = element.VR or _dictionary_vr(element.tag)
    if vr is None:
        return None
    try:
        if vr in DEFAULT_ONLY_VRS:
            return _values(vr, _multi_string(value.decode("latin-1")))
        if vr == "UI":
            return _values(vr, _split(value.decode("latin-1").rstrip("\x00 ")))
        if vr in ("IS", "DS"):
            return _numbers(vr, value)
        if vr in BINARY_NUMBERS:
            numbers = _binary_numbers(vr, value, little_endian=element.is_little_endian)
            return _finite(numbers) if numbers is not None else None
        if encoding is None:
            return None
        if vr in MULTI_TEXT_VRS:
            text = value.decode(encoding)
            return _values(vr, [v.rstrip("\x00 ") for v in text.split("\\")] if text else [])
        if vr in SINGLE_TEXT_VRS:
            text = value.decode(encoding).rstrip("\x00 ")
            return _values(vr, [text] if text else [])
        if vr == "PN":
            return _person_names(value, encoding)
    except (UnicodeDecodeError, ValueError, OverflowError, struct.error):
        return None  # pydicom decides what such a value means
    return None


def _dictionary_vr(tag: BaseTag) -> str | None:
    if tag.is_private:
        return None
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return None
    return vr if " or " not in vr else None


def _split(text: str) -> list[str]:
    return text.split("\\") if text else []


def _multi_string(text: str) -> list[str]:
    # pydicom drops one trailing padding character, then splits.
    if text and text[-1] in " \x00":
        text = text[:-1]
    return _split(text)


def _values(vr: str, values: list[Any]) -> dict[str, Any]:
    if not values or values == [""]:
        return {"vr": vr}
    return {"vr": vr, "Value": values}


def _numbers(vr: str, raw: bytes) -> dict[str, Any]:
    text = raw.decode("latin-1").strip("\x00 ")
    if not text:
        return {"vr": vr}
    values: list[int | float | None] = []
    for part in text.split("\\"):
        part = part.strip()
        if not part:
            values.append(None)
        elif vr == "DS":
            values.append(_finite_number(float(part)))
        else:
            number = float(part)
            if number != int(number):
                raise ValueError(f"IS value {part!r} is not an integer")
            values.append(int(number))
    return {"vr": vr, "Value": values}


def _finite_number(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value} has no DICOM JSON form")  # JSON has no NaN or Infinity
    return value


def _finite(element: dict[str, Any]) -> dict[str, Any]:
    """pydicom's encoding of an element, refused when it holds NaN or an infinity."""
    for value in element.get("Value", ()):
        if isinstance(value, float):
            _finite_number(value)
    return element


def _binary_numbers(vr: str, raw: bytes, *, little_endian: bool) -> dict[str, Any] | None:
    single = SINGLE_VALUE[vr, little_endian]  # standard sizes: SL is 4 bytes, not a C long
    if len(raw) == single.size:
        return {"vr": vr, "Value": list(single.unpack(raw))}
    if len(raw) % single.size:
        return None
    count = len(raw) // single.size
    if count == 0:
        return {"vr": vr}
    values = list(struct.unpack(f"{single.format[0]}{count}{BINARY_NUMBERS[vr]}", raw))
    return {"vr": vr, "Value": values}


def _person_names(raw: bytes, encoding: str) -> dict[str, Any]:
    text = raw.rstrip(b"\x00 ").decode(encoding)
    if not text:
        return {"vr": "PN"}
    names = []
    for name in text.split("\\"):
        groups = name.split("=")
        entry = {"Alphabetic": groups[0]}
        if len(groups) > 1:
            entry["Ideographic"] = groups[1]
        if len(groups) > 2:
            entry["Phonetic"] = groups[2]
        names.append(entry)
    return {"vr": "PN", "Value": names}
