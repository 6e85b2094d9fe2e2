"""Database pool recovery after PostgreSQL drops every connection (a restart, a failover).

Django hands psycopg's pool `ConnectionPool.check_connection`, which tests a connection before
giving it out; a dead one is thrown away and the pool tries the next after a back-off that
doubles each time (1 s, 2 s, 4 s, ...). After a restart every idle connection of the pool is
dead, so a process whose pool had grown to 8 spent 1 + 2 + 4 + 8 + 16 s on them and its request
failed at the 30 s pool timeout (found by tests/archive/test_database_connections_dropped.py once
a test had grown the test process's pool). One dead connection means the server most likely
dropped them all, so the check now has the pool test every idle connection at once: the dead
ones are replaced in the background and the next one handed out, after the first back-off
(about a second), is live.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool


def _check_then_sweep(pool: ConnectionPool) -> Any:
    def check(conn: Any) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            pool.check()  # every idle connection, now: the dead are discarded and replaced
            raise

    check.sweeps = True  # type: ignore[attr-defined]
    return check


def pool_recovery_install(*, connection: Any, **_: Any) -> None:
    """connection_created: give this process's pool the sweeping check, once. psycopg-pool
    keeps its check in `_check` (3.3; the attribute is private, so a test covers it)."""
    pool = getattr(connection, "pool", None)
    if pool is None or getattr(pool._check, "sweeps", False) or pool._check is None:
        return
    pool._check = _check_then_sweep(pool)
