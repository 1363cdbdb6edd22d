"""evaluation sheet indexes: what a department's and a person's sheet (and the ranking of
a project's departments) need at company size (3,000,000 slips, 500,000 complaints,
3,400,000 work items), each justified by the statement it serves (EXPLAIN ANALYZE on the
bench database)

A department's or a person's sheet has no project to narrow by: its statements select one
subject (a department, a person) over the trend's twelve months. The existing indexes lead
with project_id or hold only the time (the BRINs of 0012), so each statement read every
row of the twelve months (a third of the table) and kept a few hundred: these lead with
the subject and then the time.

On PostgreSQL the indexes are built CONCURRENTLY, so an existing installation keeps
working while they are built.

Revision ID: 8e4f1a2c0013
Revises: 7c3d9e1b0012
Create Date: 2026-11-29 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4f1a2c0013'
down_revision = '7c3d9e1b0012'
branch_labels = None
depends_on = None


#: (table, name, columns, partial condition or None)
INDEXES = [
    # slips_filed of a department (the slips its members filed): the twelve months' 1 M
    # slips read through the BRIN to keep 11,500 (170–260 ms); 11,500 index entries (35 ms)
    ('slips', 'ix_slips_filer_department_filed', ['filer_department_id', 'filed_at'], None),
    # slips_against of a department (the slips it had to rectify): a BitmapAnd of the BRIN
    # and project × department × status that rechecked 195,000 rows (60–90 ms); 17–25 ms
    ('slips', 'ix_slips_department_filed', ['responsible_department_id', 'filed_at'], None),
    # complaints_received, complaint_commitment, complaint_resolution, complaint_callbacks
    # of a department: 170,000 complaints read to keep 500 (60–140 ms each); the
    # department's 1,600 complaints, ANDed with the due-moment BRINs for the clocks (1–25 ms)
    ('complaints', 'ix_complaints_department_received', ['complained_department_id', 'received_at'], None),
    # the same of a person (the staff member complained about): a parallel scan of all
    # 500,000 complaints for the call-backs (110–130 ms). Few complaints name a person:
    # only those rows are indexed
    ('complaints', 'ix_complaints_user_received', ['complained_user_id', 'received_at'],
     'complained_user_id IS NOT NULL'),
    # work_overdue of a department, the items addressed to it: 1.1 M items of the twelve
    # months read through the BRIN to keep one (170–280 ms); 0.1 ms. Items addressed to a
    # department are few: only those rows are indexed
    ('work_items', 'ix_work_items_department_due', ['department_id', 'due_at'], 'department_id IS NOT NULL'),
    # work_overdue of a department, the items its members held in its project: the planner
    # read the project's items of the period once per member and department (14 times on
    # the ranking of a project's departments, 220–260 ms; 50–70 ms on a department's
    # sheet); with the holder and the project first, each member's items (0.2–3 ms)
    ('work_items', 'ix_work_items_holder_project_due',
     [sa.text('coalesce(assignee_id, done_by_id)'), 'project_id', 'due_at'], None),
]


def _create(table, name, columns, where, concurrently):
    options = {}
    if where:
        options = {'postgresql_where': sa.text(where), 'sqlite_where': sa.text(where)}
    op.create_index(name, table, columns, unique=False, postgresql_concurrently=concurrently, **options)


def _drop(table, name, concurrently):
    op.drop_index(name, table_name=table, postgresql_concurrently=concurrently)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # CREATE INDEX CONCURRENTLY cannot run inside a transaction
        with op.get_context().autocommit_block():
            for table, name, columns, where in INDEXES:
                _create(table, name, columns, where, concurrently=True)
    else:
        for table, name, columns, where in INDEXES:
            _create(table, name, columns, where, concurrently=False)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            for table, name, _, _ in reversed(INDEXES):
                _drop(table, name, concurrently=True)
    else:
        for table, name, _, _ in reversed(INDEXES):
            _drop(table, name, concurrently=False)
