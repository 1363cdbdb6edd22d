"""scale indexes: what the bench at company size (3,000,000 slips, 500,000 complaints) found
the hot pages missing, each justified by the page and query it serves (EXPLAIN plans in
bench/results/explain.md)

On PostgreSQL the indexes are built CONCURRENTLY, so an existing installation keeps filing
slips and recording complaints while they are built.

Revision ID: 5b2e7c9a0011
Revises: 9d8142a10474
Create Date: 2026-11-29 03:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b2e7c9a0011'
down_revision = '9d8142a10474'
branch_labels = None
depends_on = None


#: (table, name, columns, partial condition or None)
INDEXES = [
    # Slip list "my department" (GET /slips/?scope=department): the newest slips of one
    # department. Departments belong to one project, so the planner's estimate for
    # project × department is ~50× too low and it fetched all ~19,000 of the department's
    # slips to sort them (450 ms); this index hands it the newest 31 directly.
    ('slips', 'ix_slips_project_department_filed', ['project_id', 'responsible_department_id', 'filed_at'], None),
    # Slip list "filed by me" (GET /slips/?scope=mine): a patrol member's newest slips in
    # the projects of the scope. A user files in one project, which the planner does not
    # know either: it fetched and sorted all ~5,000 of the user's slips for a page of 31
    # (46–60 ms); with the project in the index it reads the newest 31 (0.2 ms). It
    # replaces the single-column index on filed_by_id, which it covers for other lookups.
    ('slips', 'ix_slips_filed_by_project_filed', ['filed_by_id', 'project_id', 'filed_at'], None),
    # Monthly complaint summary (webapp.complaints.reports.monthly_summary), the clocks
    # query: complaints whose commitment or resolution fell due, or that were upgraded,
    # in the period. Without them it read every complaint of the project (10,000 rows,
    # 8,400 heap pages, 27–42 ms warm); with them a BitmapOr of three small ranges (0.5 ms).
    ('complaints', 'ix_complaints_project_commitment_due', ['project_id', 'commitment_due_at'], None),
    ('complaints', 'ix_complaints_project_resolution_due', ['project_id', 'resolution_due_at'], None),
    # upgrades are rare: only upgraded complaints are indexed
    ('complaints', 'ix_complaints_project_upgraded', ['project_id', 'upgraded_at'], 'upgraded_at IS NOT NULL'),
    # Monthly complaint summary, the satisfaction query: the period's call-backs of one
    # project. With project_id alone it fetched all of the project's ~9,400 call-backs,
    # scattered over 4,500 heap pages (0.5 s from a cold cache), to keep ~250.
    ('complaint_callbacks', 'ix_complaint_callbacks_project_called', ['project_id', 'called_at'], None),
]


def _create(table, name, columns, where, concurrently):
    options = {}
    if where:
        options = {'postgresql_where': sa.text(where), 'sqlite_where': sa.text(where)}
    op.create_index(name, table, columns, unique=False, postgresql_concurrently=concurrently, **options)


def _drop(table, name, concurrently):
    op.drop_index(name, table_name=table, postgresql_concurrently=concurrently)


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        # CREATE INDEX CONCURRENTLY cannot run inside a transaction
        with op.get_context().autocommit_block():
            for table, name, columns, where in INDEXES:
                _create(table, name, columns, where, concurrently=True)
            _drop('slips', 'ix_slips_filed_by_id', concurrently=True)
    else:
        for table, name, columns, where in INDEXES:
            _create(table, name, columns, where, concurrently=False)
        _drop('slips', 'ix_slips_filed_by_id', concurrently=False)


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        with op.get_context().autocommit_block():
            op.create_index('ix_slips_filed_by_id', 'slips', ['filed_by_id'], unique=False, postgresql_concurrently=True)
            for table, name, _, _ in reversed(INDEXES):
                _drop(table, name, concurrently=True)
    else:
        op.create_index('ix_slips_filed_by_id', 'slips', ['filed_by_id'], unique=False)
        for table, name, _, _ in reversed(INDEXES):
            _drop(table, name, concurrently=False)
