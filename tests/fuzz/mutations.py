"""Structure-aware mutations of the shared Part 10 files, as hypothesis strategies.

A drawn `Recipe` names a seed file and what to do to it: DICOM-aware patches of its data set
(an unknown VR, a wrong element length, sequences nested hundreds deep, a sequence item longer
than its sequence, a bad UID, a Basic Offset Table that is not a multiple of 4), a replaced
transfer syntax, then plain byte mutations (truncate, flip, insert, delete, overwrite).
`Recipe.build(uid)` makes the bytes, with `uid` as SOP Instance UID so every mutant is a new
instance. Used by tests/fuzz/test_ingest_fuzz.py and bench/fuzz_ingest.py alike.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.patches import PATCHES, TRANSFER_SYNTAXES, Patch
from tests.fuzz.seeds import SOP_INSTANCE_UID, Seed, encode, padded

FUZZ_SEED = 20261129


@dataclass(frozen=True)
class ByteOp:
    kind: str  # truncate, flip, insert, delete, overwrite
    position: int  # 0..65535, scaled to the region
    in_header: bool  # the region is the meta and header, not the whole file
    payload: bytes = b""


@dataclass(frozen=True)
class Recipe:
    seed: Seed
    patches: tuple[Patch, ...] = ()
    transfer_syntax: bytes | None = None
    byte_ops: tuple[ByteOp, ...] = ()

    def build(self, uid: str) -> bytes:
        dataset = _apply(self.seed.dataset, (*self.patches, _uid_patch(self.seed, uid)))
        meta = dict((tag, (vr, value)) for tag, vr, value in self.seed.meta)
        meta[0x00020003] = ("UI", padded(uid.encode()))
        if self.transfer_syntax is not None:
            meta[0x00020010] = ("UI", padded(self.transfer_syntax))
        head = _file_meta(meta)
        data = head + dataset
        header_end = len(head) + self.seed.header_end
        for op in self.byte_ops:
            data = _byte_op_apply(data, op, min(header_end, len(data)))
        return data

    @property
    def labels(self) -> list[str]:
        labels = [p.label for p in self.patches] + [op.kind for op in self.byte_ops]
        return labels + (["transfer-syntax"] if self.transfer_syntax is not None else [])


def _uid_patch(seed: Seed, uid: str) -> Patch:
    """The SOP Instance UID replaced in place, same length, NUL-padded."""
    element = seed.element(SOP_INSTANCE_UID)
    assert element is not None  # seeds without one are left out
    value = uid.encode()[: element.length].ljust(element.length, b"\x00")
    return Patch("uid", element.value_start, element.value_start + element.length, value)


def unique_uid(counter: int, run: int) -> str:
    """The SOP Instance UID of mutant `counter` of fuzz run `run` (1-9, one per door), under
    2.25: the same every time, so a failure names the UID to look for, and unique in a run.
    """
    return f"2.25.{FUZZ_SEED}{run}{counter:07d}"


def _apply(data: bytes, patches: tuple[Patch, ...]) -> bytes:
    """Apply patches from the end backwards so each one's offsets still hold; overlaps lose."""
    taken: list[tuple[int, int]] = []
    for patch in sorted(patches, key=lambda p: (p.start, p.end), reverse=True):
        if any(patch.start < end and start < patch.end for start, end in taken):
            continue
        if any(patch.start == patch.end == start for start, _ in taken):
            continue
        data = data[: patch.start] + patch.data + data[patch.end :]
        taken.append((patch.start, max(patch.end, patch.start + 1)))
    return data


def _file_meta(meta: dict[int, tuple[str, bytes]]) -> bytes:
    body = b"".join(
        encode(tag, vr, value, implicit=False, little=True)
        for tag, (vr, value) in sorted(meta.items())
    )
    length = encode(0x00020000, "UL", struct.pack("<I", len(body)), implicit=False, little=True)
    return b"\x00" * 128 + b"DICM" + length + body


@st.composite
def _byte_op(draw: st.DrawFn) -> ByteOp:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "overwrite"]))
    payload = b""
    if kind in ("insert", "overwrite"):
        payload = draw(st.binary(min_size=1, max_size=16))
    elif kind == "flip":
        payload = draw(st.integers(1, 255)).to_bytes(1, "little")
    elif kind == "delete":
        payload = bytes(draw(st.integers(1, 64)))
    return ByteOp(kind, draw(st.integers(0, 0xFFFF)), draw(st.booleans()), payload)


def _byte_op_apply(data: bytes, op: ByteOp, header_end: int) -> bytes:
    region = header_end if op.in_header else len(data)
    at = op.position * max(region - 1, 0) // 0xFFFF
    if op.kind == "truncate":
        return data[:at]
    if op.kind == "flip":
        return data[:at] + bytes([data[at] ^ op.payload[0]]) + data[at + 1 :] if data else data
    if op.kind == "insert":
        return data[:at] + op.payload + data[at:]
    if op.kind == "delete":
        return data[:at] + data[at + len(op.payload) :]
    return data[:at] + op.payload + data[at + len(op.payload) :]


@st.composite
def recipe(draw: st.DrawFn, seeds: list[Seed]) -> Recipe:
    """One mutant: a seed, up to two DICOM-aware patches, maybe a transfer syntax, up to two
    byte mutations. Every part may be empty: some mutants are the seed as it was (under a new
    UID), which must be stored."""
    seed = draw(st.sampled_from(seeds))
    # Counts weighted towards none, so that about one mutant in five is stored and its
    # retrieval checked.
    patches = []
    for make in draw(_some(st.sampled_from(PATCHES), [0, 0, 1, 1, 2])):
        patch = draw(make(seed))
        if patch is not None:
            patches.append(patch)
    replace_syntax = draw(st.integers(0, 5)) == 0
    transfer_syntax = draw(st.sampled_from(TRANSFER_SYNTAXES)) if replace_syntax else None
    byte_ops = draw(_some(_byte_op(), [0, 0, 1, 2]))
    return Recipe(seed, tuple(patches), transfer_syntax, tuple(byte_ops))


def _some(strategy: st.SearchStrategy[Any], counts: list[int]) -> st.SearchStrategy[list[Any]]:
    return st.sampled_from(counts).flatmap(lambda n: st.lists(strategy, min_size=n, max_size=n))
