"""QIDO-RS answers at most QIDO_MAX_RESULTS matches and says so in a Warning header, as PS3.18
allows (issue 10, item 12); an offset or limit past any real count is a 400, not a 500 (item 7).
"""

from __future__ import annotations

import pytest

from tests.archive.test_qido_total import reader, search  # noqa: F401 - fixture

TRUNCATED = "The number of results exceeded the maximum supported by the server"


@pytest.fixture
def at_most_two(settings):
    settings.QIDO_MAX_RESULTS = 2


def test_a_search_without_a_limit_gets_the_maximum_and_a_warning(reader, at_most_two):  # noqa: F811
    response = search(reader, "", count=False)

    assert response.status_code == 200
    assert len(response.json()) == 2
    assert response["Warning"].startswith("299 ")
    assert TRUNCATED in response["Warning"]


@pytest.mark.parametrize(("query", "rows"), [("limit=2", 2), ("offset=2", 1), ("limit=1", 1)])
def test_a_search_within_the_maximum_has_no_warning(reader, at_most_two, query, rows):  # noqa: F811
    response = search(reader, query, count=False)

    assert len(response.json()) == rows
    assert "Warning" not in response


def test_a_limit_over_the_maximum_is_cut_to_it_with_a_warning(reader, at_most_two):  # noqa: F811
    response = search(reader, "limit=100", count=True)

    assert len(response.json()) == 2
    assert TRUNCATED in response["Warning"]
    assert response["X-Total-Count"] == "3"


@pytest.mark.parametrize("query", [f"offset={2**63}", f"limit={2**63}", f"offset={10**30}"])
def test_an_offset_or_limit_no_database_can_hold_is_a_400(reader, query):  # noqa: F811
    response = search(reader, query, count=False)

    assert response.status_code == 400
    assert "offset" in response.json()["detail"] or "limit" in response.json()["detail"]
