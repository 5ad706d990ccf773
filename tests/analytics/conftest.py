"""Fixtures of the analytics tests: a real local PostgreSQL (session-wide) and store DSNs."""
from __future__ import annotations

import pytest

from tests.analytics.pg import local_postgres, missing_reason


@pytest.fixture(scope="session")
def postgres_dsn():
    reason = missing_reason()
    if reason:
        pytest.skip(f"no local PostgreSQL: {reason}")
    with local_postgres() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_dsn(request, tmp_path):
    """A fresh, empty event store of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    dsn = request.getfixturevalue("postgres_dsn")
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS events")
        c.execute("DROP TABLE IF EXISTS store_meta")
    return dsn
