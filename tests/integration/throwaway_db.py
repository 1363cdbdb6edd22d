"""A PostgreSQL database of its own for a test that builds a schema from scratch.

The suite's shared TEST_DATABASE_URL database keeps a create_all() schema that other
tests use; migrations and a running gunicorn get a separate database instead, created
and dropped through the `postgres` maintenance database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL


@contextmanager
def throwaway_database(name: str) -> Iterator[str]:
    """Create database `name` next to TEST_DATABASE_URL, yield its URL, drop it after."""
    assert TEST_DATABASE_URL, "needs TEST_DATABASE_URL"
    assert name.replace("_", "").isalnum(), name
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
