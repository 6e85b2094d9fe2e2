"""A process whose pool is full of connections PostgreSQL dropped gets a live one for its next
query (config/db_pool.py): before, it tried each dead one after a doubling back-off and gave up
at the pool's 30 s timeout with 8 of them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.archive.test_database_connections_dropped import drop_other_connections


def grow_the_pool_to(size: int) -> None:
    """Hold `size` connections at once (threads), then give them back to the pool idle."""
    barrier = threading.Barrier(size)
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                barrier.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_a_pool_of_dropped_connections_serves_the_next_query():
    size = connection.pool.max_size
    connection.close()  # the test's own connection back to the pool: the threads take all
    grow_the_pool_to(size)
    assert connection.pool.get_stats()["pool_size"] == size

    assert drop_other_connections() >= size - 1  # every pooled one but this test's own
    connection.close()  # this test's own goes back to the pool too, alive

    other = threading.Thread(target=_query_in_a_fresh_thread)
    other.start()
    other.join(timeout=60)
    assert _answers == [1]


_answers: list[int] = []


def _query_in_a_fresh_thread() -> None:
    """A new thread, as a new request is: its connection comes from the pool."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            _answers.append(cursor.fetchone()[0])
    finally:
        connection.close()
