"""app role privileges: on PostgreSQL, the role the app connects as may read and write the
app's tables but only read and append to the audit trail (ORG-03)

A deployment runs the migrations as the database's owner and the app as a separate,
less privileged role named by the DATABASE_APP_ROLE setting (deploy/README.md, "The
database roles"). This migration grants that role:

- SELECT, INSERT, UPDATE, DELETE on every table of the schema, and USAGE, SELECT on its
  sequences;
- on audit_events only SELECT, INSERT: UPDATE, DELETE and TRUNCATE are revoked, so an
  event cannot be rewritten or removed through the app's connection whatever the code
  does (the triggers of webapp.core.audit_ddl refuse it for the owner too);
- on alembic_version only SELECT: the schema's version is the owner's business;
- the same table and sequence privileges by default on what later migrations create
  (ALTER DEFAULT PRIVILEGES for the role that runs them).

Without DATABASE_APP_ROLE (the app connects as the owner), and on SQLite, it does
nothing. For a role added after this migration ran, deploy/README.md gives the same
statements to run in psql.

Revision ID: ab2c3d4e0015
Revises: 9a1b2c3d0014
Create Date: 2026-11-29 10:30:00.000000

"""
import os

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab2c3d4e0015'
down_revision = '9a1b2c3d0014'
branch_labels = None
depends_on = None

#: tables the app role may read and append to, never change
APPEND_ONLY_TABLES = ('audit_events',)
#: tables the app role may only read
READ_ONLY_TABLES = ('alembic_version',)


def _app_role():
    """(bind, quoted role, quoted schema), or None when there is nothing to grant."""
    role = os.environ.get('DATABASE_APP_ROLE', '').strip()
    bind = op.get_bind()
    if not role or bind.dialect.name != 'postgresql':
        return None
    exists = bind.execute(sa.text('SELECT 1 FROM pg_roles WHERE rolname = :r'), {'r': role}).scalar()
    if not exists:
        raise RuntimeError(
            f'DATABASE_APP_ROLE={role}: no such PostgreSQL role. Create it first '
            f'(CREATE ROLE {role} LOGIN PASSWORD ...; see deploy/README.md).'
        )
    current = bind.execute(sa.text('SELECT current_user')).scalar()
    if current == role:
        raise RuntimeError(
            f'the migrations run as {role}, the app role itself: run them as the '
            "database's owner (deploy/README.md, \"The database roles\")."
        )
    quote = bind.dialect.identifier_preparer.quote
    schema = bind.execute(sa.text('SELECT current_schema()')).scalar()
    return bind, quote(role), quote(schema)


def upgrade():
    target = _app_role()
    if target is None:
        return
    _, role, schema = target
    op.execute(f'GRANT USAGE ON SCHEMA {schema} TO {role}')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}')
    for table in APPEND_ONLY_TABLES:
        op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.{table} FROM {role}')
    for table in READ_ONLY_TABLES:
        op.execute(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.{table} FROM {role}')
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} '
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}'
    )
    op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}')


def downgrade():
    target = _app_role()
    if target is None:
        return
    _, role, schema = target
    op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role}')
    op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}')
    op.execute(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}')
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}')
    op.execute(f'REVOKE USAGE ON SCHEMA {schema} FROM {role}')
