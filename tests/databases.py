"""PostgreSQL databases of the test run's own, next to TEST_DATABASE_URL.

The suite never writes into the TEST_DATABASE_URL database itself: each run creates its
own (the app tests' schema, a migration test's, a gunicorn test's), named after the
process, through the `postgres` maintenance database, and drops it afterwards. Two runs
on one server (a developer's and CI's) therefore never empty each other's tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql://"):
    TEST_DATABASE_URL = "postgresql+psycopg://" + TEST_DATABASE_URL[len("postgresql://") :]


@contextmanager
def throwaway_database(name: str) -> Iterator[str]:
    """Create database `name` (suffixed with this process id) next to TEST_DATABASE_URL,
    yield its URL, drop it after."""
    assert TEST_DATABASE_URL, "needs TEST_DATABASE_URL"
    assert name.replace("_", "").isalnum(), name
    name = f"{name}_{os.getpid()}"
    url = sa.engine.make_url(TEST_DATABASE_URL)
    maintenance = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with maintenance.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        maintenance.dispose()
