"""QIDO-RS study search with a total for the archive browser's pager ("51-100 of 1,234"):
asked for with `Prefer: count=exact`, answered in X-Total-Count, never computed unasked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import SHARED_DICOM

STUDIES = [
    SHARED_DICOM / "ct" / "dcmqi_ct_3slice",
    SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
    SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm",
]
DICOM_JSON = "application/dicom+json"


@pytest.fixture
def reader(client_for, ingest_file: Callable[[Path], object]):
    for path in STUDIES:
        for file in sorted(path.glob("*.dcm")) if path.is_dir() else [path]:
            ingest_file(file)
    return client_for("radiologist")


def search(client, query: str, *, count: bool = True):
    headers = {"HTTP_ACCEPT": DICOM_JSON}
    if count:
        headers["HTTP_PREFER"] = "count=exact"
    return client.get(f"/dicomweb/studies?{query}", **headers)


@pytest.mark.parametrize(
    ("query", "rows", "total"),
    [
        ("limit=2&offset=0", 2, 3),  # a full page: the archive counts
        ("limit=2&offset=2", 1, 3),  # the last page says its own total
        ("limit=2&offset=5", 0, 3),  # past the end
        ("limit=50", 3, 3),
        ("", 3, 3),
        ("PatientID=99000&limit=1", 1, 1),  # the count follows the search
        ("PatientName=NOBODY*&limit=50", 0, 0),
    ],
)
def test_a_search_that_asks_for_the_total_gets_it(reader, query, rows, total):
    response = search(reader, query)

    assert response.status_code in (200, 204)
    assert len(response.json() if response.content else []) == rows
    assert response["X-Total-Count"] == str(total)
    assert response["Preference-Applied"] == "count=exact"


def test_a_search_without_the_preference_runs_no_count(reader):
    with CaptureQueriesContext(connection) as captured:
        response = search(reader, "limit=2", count=False)

    assert response.status_code == 200 and len(response.json()) == 2
    assert "X-Total-Count" not in response
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_page_that_ends_the_results_is_counted_without_a_count_query(reader):
    with CaptureQueriesContext(connection) as captured:
        response = search(reader, "limit=50")

    assert response["X-Total-Count"] == "3"
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
