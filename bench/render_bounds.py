"""Many frames and large renders, measured (issue 10, items 10 and 11): seconds and peak memory.

    .venv/bin/python -m bench.render_bounds            # prints a Markdown table

Each case runs in a fresh process (peak RSS growth after the imports, from Linux VmHWM) on the
archive's own code, without HTTP or a database: ingest is `parse_instance` (what builds the
frame index), and the frame index goes through JSON once, as it does through its database
column. The images are generated once into bench/.work/render_bounds (gitignored): a 1x1 image
of 2,000,000 frames (2 MB), a 10000x10000 8-bit image (100 MB) and the 512x512 CT of ../shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work" / "render_bounds"
CT_512 = Path("/work/shared/data/dicom/ct/dcmqi_ct_3slice")
CASES = {
    "frames_ingest": "1x1, 2,000,000 frames: ingest (parse, frame index)",
    "frames_first": "1x1, 2,000,000 frames: frames/1",
    "frames_thumbnail": "1x1, 2,000,000 frames: thumbnail",
    "big_thumbnail": "10000x10000: thumbnail",
    "big_viewport": "10000x10000: rendered?viewport=20000,20000",
    "ct_viewport": "512x512 CT: rendered?viewport=24000,24000",
}


def _image(path: Path, *, rows: int, columns: int, frames: int) -> None:
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
    )
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.Modality = "BENCH", "OT"
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    gradient = (np.arange(rows * columns * frames, dtype=np.uint64) % 251).astype(np.uint8)
    ds.PixelData = gradient.tobytes()
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)


def _prepare() -> dict[str, Path]:
    storage = WORK / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    files = {"frames": storage / "frames.dcm", "big": storage / "big.dcm"}
    if not files["frames"].exists():
        _image(files["frames"], rows=1, columns=1, frames=2_000_000)
    if not files["big"].exists():
        _image(files["big"], rows=10_000, columns=10_000, frames=1)
    files["ct"] = storage / "ct.dcm"
    if not files["ct"].exists():
        files["ct"].write_bytes(sorted(CT_512.glob("*.dcm"))[0].read_bytes())
    return files


def _run_case(case: str) -> dict[str, float]:
    """In this (fresh) process: run one case, return seconds, peak RSS growth and output size."""
    import django

    django.setup()
    from archive.dicom.parse import file_size_of, parse_instance
    from archive.dicom.render import RenderOptions, frame_render
    from archive.dicom.stored_pixels import StoredImage, frames_read

    files = {p.stem: p.name for p in (WORK / "storage").glob("*.dcm")}
    index_json = (WORK / "frames.index.json").read_text() if case != "frames_ingest" else ""
    base = _reset_peak_rss()
    start = time.perf_counter()
    size = 0
    if case == "frames_ingest":
        with open(WORK / "storage" / files["frames"], "rb") as fp:
            parsed = parse_instance(fp, file_size=file_size_of(fp))
        text = json.dumps(parsed.frame_index)
        (WORK / "frames.index.json").write_text(text)
        size = len(text)
    elif case == "frames_first":
        image = StoredImage(
            files["frames"], "1.2.840.10008.1.2.1", json.loads(index_json), 2_000_000, 8
        )
        size = len(frames_read(image, [1])[0])
    else:
        name, frame, viewport = {
            "frames_thumbnail": ("frames", 1_000_000, (128, 128)),
            "big_thumbnail": ("big", 1, (128, 128)),
            "big_viewport": ("big", 1, (20_000, 20_000)),
            "ct_viewport": ("ct", 1, (24_000, 24_000)),
        }[case]
        options = RenderOptions(viewport=viewport, quality=75 if viewport == (128, 128) else 90)
        size = len(frame_render(files[name], frame=frame, options=options))
    seconds = time.perf_counter() - start
    peak = _status_kb("VmHWM") - base
    return {"seconds": seconds, "peak_mb": peak / 1024, "bytes": size}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> int:
    """Make the peak RSS the current RSS (imports peak higher than some cases); return it."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(_run_case(sys.argv[2])))
        return
    _prepare()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(WORK),
        "DATABASE_URL": f"sqlite:///{WORK / 'unused.sqlite3'}",
    }
    print("| Case | Seconds | Peak RSS growth | Output |")
    print("|---|---|---|---|")
    for case, title in CASES.items():
        result = subprocess.run(
            [sys.executable, "-m", "bench.render_bounds", "--case", case],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            print(f"| {title} | failed: {result.stderr.strip().splitlines()[-1][:80]} | | |")
            continue
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"| {title} | {figures['seconds']:.2f} | {figures['peak_mb']:.0f} MB | "
            f"{figures['bytes']:,} bytes |"
        )


if __name__ == "__main__":
    main()
