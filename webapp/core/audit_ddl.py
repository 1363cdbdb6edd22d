"""The database's own guard of the audit trail (ORG-03): UPDATE, DELETE and TRUNCATE refused.

webapp.core.audit already refuses edits through the ORM; these triggers close the rest
(a psql session, a script, a bulk statement). They are created by the migrations, not by
``db.create_all()``, so the test suite can still empty its tables between tests.

In a migration::

    from webapp.core.audit_ddl import create_append_only_guard, drop_append_only_guard

    def upgrade():
        ...create the tables...
        create_append_only_guard(op)

    def downgrade():
        drop_append_only_guard(op)
        ...drop the tables...

Both accept Alembic's ``op`` or a SQLAlchemy ``Connection`` and are idempotent.
On SQLite a later ``batch_alter_table("audit_events")`` copies the table and loses its
triggers: call ``create_append_only_guard(op)`` again after such a batch.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

APPEND_ONLY_TABLES = ("audit_events",)
REFUSAL = "audit events are append-only"
_PG_FUNCTION = "estatedesk_refuse_audit_change"


def _target(op_or_connection) -> tuple[str, Callable[[str], object]]:
    """(dialect name, execute(sql)) for Alembic's ``op`` or a Connection."""
    if hasattr(op_or_connection, "get_bind"):  # alembic.op
        return op_or_connection.get_bind().dialect.name, op_or_connection.execute
    connection = op_or_connection
    return connection.dialect.name, lambda sql: connection.execute(sa.text(sql))


def _statements(dialect: str, table: str) -> tuple[list[str], list[str]]:
    """(create statements, drop statements) for one table."""
    if dialect == "sqlite":
        creates, drops = [], []
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_no_{operation.lower()}"
            drops.append(f"DROP TRIGGER IF EXISTS {name}")
            creates.append(drops[-1])
            creates.append(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        return creates, drops
    if dialect == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
        creates = [
            f"CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL} (% on % refused)', TG_OP, TG_TABLE_NAME; END; $$",
            *drops,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()",
        ]
        return creates, drops
    raise NotImplementedError(f"no append-only guard for the {dialect} dialect")


def create_append_only_guard(op_or_connection, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    """Create (or re-create) the triggers refusing UPDATE/DELETE/TRUNCATE of the tables."""
    dialect, execute = _target(op_or_connection)
    for table in tables:
        creates, _ = _statements(dialect, table)
        for sql in creates:
            execute(sql)


def drop_append_only_guard(op_or_connection, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    """Remove the triggers (a downgrade, or an administrator's deliberate repair)."""
    dialect, execute = _target(op_or_connection)
    for table in tables:
        _, drops = _statements(dialect, table)
        for sql in drops:
            execute(sql)
    if dialect == "postgresql":
        execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")
