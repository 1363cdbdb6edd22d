"""evaluation indexes: what the company view (GET /evaluation/company, every project side by
side for a month) needs at company size (3,000,000 slips, 500,000 complaints, 3,400,000
work items), each justified by the statement it serves (EXPLAIN ANALYZE on the bench
database, bench/explain.py)

The company view aggregates one period over every project at once, so the existing
indexes, which all lead with project_id, do not serve it: each statement read its whole
table. The period's records are a narrow range of a time column, and these columns
follow the order rows are written in (a slip is filed, a complaint received, a call-back
made when its row is inserted; the due moments follow reception by hours or days), so a
BRIN index (a few pages) finds the range's heap blocks. A B-tree on the time column alone
would tempt the planner away from (project_id, time) for one project's sheet (a 2 ms
query took 23 ms), a BRIN does not.

On PostgreSQL the indexes are built CONCURRENTLY, so an existing installation keeps
working while they are built. SQLite has no BRIN: there they are ordinary indexes.

Revision ID: 7c3d9e1b0012
Revises: 5b2e7c9a0011
Create Date: 2026-11-29 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d9e1b0012'
down_revision = '5b2e7c9a0011'
branch_labels = None
depends_on = None


#: (table, name, columns, partial condition or None, PostgreSQL access method or None)
INDEXES = [
    # open_items (the open and overdue items by SOP, now): the open work items of every
    # project by the SOP of their record. 6,300 open of 3.4 M: a parallel scan of the whole
    # table (80,000 pages, 190–300 ms); the open ones alone, project first for a project's
    # or a department's sheet, are an index-only scan (1 ms).
    ('work_items', 'ix_work_items_open_project_entity', ['project_id', 'entity_type', 'department_id', 'due_at'],
     'done_at IS NULL', None),
    # work_overdue (items due and overdue, on the sheets and the rankings): the period's
    # items of a company reader's departments (no project to narrow by: a parallel scan
    # of 3.4 M, 300 ms; 25 ms), and of the people who held them (assignee, else whoever
    # did them), 60 ms with the BRIN, 2 ms with the holder first
    ('work_items', 'ix_work_items_due_brin', ['due_at'], None, 'brin'),
    ('work_items', 'ix_work_items_holder_due', [sa.text('coalesce(assignee_id, done_by_id)'), 'due_at'], None, None),
    # slips_against (rectification on-time rate): the month's 78,000 slips of every project
    # (parallel scan of 3 M, 300 ms; with the BRIN 2,300 heap pages, 27 ms)
    ('slips', 'ix_slips_filed_brin', ['filed_at'], None, 'brin'),
    # complaints_received (complaints per 1,000 units), complaint_commitment and
    # complaint_resolution (the CMP-04 / CMP-05 on-time rates): the month's 13,000
    # complaints of every project received, or falling due (a scan of 500,000, 90 ms each;
    # 7–10 ms)
    ('complaints', 'ix_complaints_received_brin', ['received_at'], None, 'brin'),
    ('complaints', 'ix_complaints_commitment_due_brin', ['commitment_due_at'], None, 'brin'),
    ('complaints', 'ix_complaints_resolution_due_brin', ['resolution_due_at'], None, 'brin'),
    # complaint_callbacks (satisfaction rate): the month's 12,000 call-backs (a scan of
    # 460,000, 50 ms; 1 ms)
    ('complaint_callbacks', 'ix_complaint_callbacks_called_brin', ['called_at'], None, 'brin'),
]


def _create(table, name, columns, where, using, concurrently):
    options = {}
    if where:
        options.update(postgresql_where=sa.text(where), sqlite_where=sa.text(where))
    if using:
        options['postgresql_using'] = using
    op.create_index(name, table, columns, unique=False, postgresql_concurrently=concurrently, **options)


def _drop(table, name, concurrently):
    op.drop_index(name, table_name=table, postgresql_concurrently=concurrently)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # CREATE INDEX CONCURRENTLY cannot run inside a transaction
        with op.get_context().autocommit_block():
            for table, name, columns, where, using in INDEXES:
                _create(table, name, columns, where, using, concurrently=True)
    else:
        for table, name, columns, where, using in INDEXES:
            _create(table, name, columns, where, using, concurrently=False)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            for table, name, _, _, _ in reversed(INDEXES):
                _drop(table, name, concurrently=True)
    else:
        for table, name, _, _, _ in reversed(INDEXES):
            _drop(table, name, concurrently=False)
