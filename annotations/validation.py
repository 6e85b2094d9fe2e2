"""What a label schema version and a label's value must look like, as plain checks on data.

Pure functions over lists and dicts (no ORM), so the model's clean(), the services and the
import all apply the same rules and their tests need no database. Each returns the problems it
found as {field: message}; an empty dict means the input is acceptable. Messages name the field
and the allowed values, because an annotator or admin reads them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
CLASS_FIELDS = ("key", "display_name", "hotkey")
REGION_FIELDS = ("key", "display_name", "colour", "hotkey")
BOX_FIELDS = ("class", "x", "y", "width", "height")
MASK_FIELDS = ("class", "rows", "columns", "rle")
SCHEMA_LISTS = ("classes", "box_classes", "mask_classes")


def schema_errors(
    *,
    registry_classes: Sequence[str],
    classes: Any,
    box_classes: Any,
    mask_classes: Any,
) -> dict[str, str]:
    """Problems of a proposed schema version: each list's entries are well formed, keys are
    unique within a list, hotkeys unique across all lists (one key does one thing in the
    workspace), colours #rrggbb, and the task registry's classes (the model's) all present
    among `classes`, since predictions and reads are stored under them."""
    lists = {"classes": classes, "box_classes": box_classes, "mask_classes": mask_classes}
    errors: dict[str, str] = {}
    for name, entries in lists.items():
        fields = CLASS_FIELDS if name == "classes" else REGION_FIELDS
        problem = _entries_problem(name, entries, fields)
        if problem:
            errors[name] = problem
    if errors:
        return errors
    if not classes:
        errors["classes"] = "A schema needs at least one class."
    keys = [entry["key"] for entry in classes]
    missing = [key for key in registry_classes if key not in keys]
    if missing:
        errors["classes"] = (
            f"The model's classes must stay in the schema; missing: {', '.join(missing)} "
            f"(the task's classes: {', '.join(registry_classes)})."
        )
    hotkeys: dict[str, str] = {}
    for name, entries in lists.items():
        for entry in entries:
            other = hotkeys.setdefault(entry["hotkey"], f"{name} {entry['key']!r}")
            if other != f"{name} {entry['key']!r}":
                errors.setdefault(
                    name,
                    f"Hotkey {entry['hotkey']!r} of {name} {entry['key']!r} is already the "
                    f"hotkey of {other}; each hotkey does one thing.",
                )
    return errors


def _entries_problem(name: str, entries: Any, fields: tuple[str, ...]) -> str | None:
    """The first thing wrong with one list of a schema, or None."""
    if not isinstance(entries, list):
        return f"{name} is a list of {{{', '.join(fields)}}}."
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or set(entry) != set(fields):
            return f"Entry {position} of {name} must have exactly the fields {', '.join(fields)}."
        key, hotkey = entry["key"], entry["hotkey"]
        if not isinstance(key, str) or not KEY.match(key):
            return (
                f"Entry {position} of {name}: key {key!r} must be 1 to 32 lower-case letters, "
                "digits, '_' or '-'."
            )
        if key in seen:
            return f"Key {key!r} appears twice in {name}; keys are unique within a list."
        seen.add(key)
        display = entry["display_name"]
        if not isinstance(display, str) or not display.strip() or len(display) > 100:
            return f"{name} {key!r}: display_name must be 1 to 100 characters."
        if not isinstance(hotkey, str) or len(hotkey) != 1 or hotkey.isspace():
            return f"{name} {key!r}: hotkey must be a single key, such as '1' or 'b'."
        if "colour" in fields and not (
            isinstance(entry["colour"], str) and COLOUR.match(entry["colour"])
        ):
            return f"{name} {key!r}: colour {entry['colour']!r} must be #rrggbb, e.g. #ff8c00."
    return None


def class_value_errors(*, value: Any, keys: Sequence[str], where: str) -> dict[str, str]:
    """A class label's value is one of the schema version's class keys."""
    if not isinstance(value, str) or value not in keys:
        return {"value": f"{value!r} is not a class of {where} (its classes: {', '.join(keys)})"}
    return {}


def box_value_errors(
    *, value: Any, keys: Sequence[str], rows: int, columns: int, where: str
) -> dict[str, str]:
    """A box is {class, x, y, width, height} in pixels (x along columns, y along rows), with a
    box class of the schema, positive size, and inside the image: [0, columns] x [0, rows]."""
    if not isinstance(value, dict) or set(value) != set(BOX_FIELDS):
        return {"value": f"A box is an object with exactly {', '.join(BOX_FIELDS)}."}
    if value["class"] not in keys:
        known = ", ".join(keys) or "none"
        return {
            "value": f"{value['class']!r} is not a box class of {where} (its box classes: {known})"
        }
    numbers = {name: value[name] for name in BOX_FIELDS[1:]}
    wrong = [name for name, number in numbers.items() if not _is_number(number)]
    if wrong:
        return {"value": f"The box's {', '.join(wrong)} must be numbers (pixels)."}
    x, y, width, height = (float(numbers[name]) for name in BOX_FIELDS[1:])
    if width <= 0 or height <= 0:
        return {
            "value": f"The box's width and height must be above 0 (got {width:g} by {height:g})."
        }
    if x < 0 or y < 0 or x + width > columns or y + height > rows:
        return {
            "value": f"The box (x {x:g}, y {y:g}, width {width:g}, height {height:g}) goes outside "
            f"the image: x + width must stay within 0 to {columns} (columns) and y + height "
            f"within 0 to {rows} (rows)."
        }
    return {}


def mask_value_errors(
    *, value: Any, keys: Sequence[str], rows: int, columns: int, where: str
) -> dict[str, str]:
    """A mask is {class, rows, columns, rle}: the image's size, and row-major run lengths that
    start with a run of 0s (possibly empty) and alternate, summing to rows x columns."""
    if not isinstance(value, dict) or set(value) != set(MASK_FIELDS):
        return {"value": f"A mask is an object with exactly {', '.join(MASK_FIELDS)}."}
    if value["class"] not in keys:
        known = ", ".join(keys) or "none"
        message = f"{value['class']!r} is not a mask class of {where} (its mask classes: {known})"
        return {"value": message}
    if (value["rows"], value["columns"]) != (rows, columns) or not all(
        _is_int(value[name]) for name in ("rows", "columns")
    ):
        return {
            "value": f"The mask is {value['rows']!r} rows by {value['columns']!r} columns; it must "
            f"be the image's size, {rows} rows by {columns} columns."
        }
    rle = value["rle"]
    pixels = rows * columns
    if not isinstance(rle, list) or len(rle) > pixels + 1:
        return {"value": "The mask's rle must be a list of run lengths (at most one per pixel)."}
    if not all(_is_int(count) and count >= 0 for count in rle):
        return {"value": "The mask's rle must hold whole numbers of 0 or more."}
    if sum(rle) != pixels:
        return {
            "value": f"The mask's run lengths add up to {sum(rle)} pixels; the image has "
            f"{rows} x {columns} = {pixels}."
        }
    return {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
