"""group robots, webhook outbox, report cut-off day

Revision ID: 47070107a619
Revises: 4bd532addbf0
Create Date: 2026-11-28 16:45:09.743082

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '47070107a619'
down_revision = '4bd532addbf0'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('group_robots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('keyword', sa.String(length=50), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_group_robots_project_id_projects')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_group_robots_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_robots')),
    sa.UniqueConstraint('project_id', name='uq_group_robots_project')
    )
    with op.batch_alter_table('group_robots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_robots_project_id'), ['project_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('robot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gave_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_webhook_deliveries_project_id_projects')),
    sa.ForeignKeyConstraint(['robot_id'], ['group_robots.id'], name=op.f('fk_webhook_deliveries_robot_id_group_robots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('dedupe_key', name='uq_webhook_deliveries_dedupe_key')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['sent_at', 'gave_up_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_robot_id'), ['robot_id'], unique=False)

    op.add_column('companies', sa.Column('report_cutoff_day', sa.SmallInteger(), server_default='25', nullable=False))

def downgrade():
    # not a batch operation: SQLite (3.35+) drops the column in place, where recreating
    # the table would trip the foreign keys of projects that point at it
    op.drop_column('companies', 'report_cutoff_day')

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_robot_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_project_id'))
        batch_op.drop_index('ix_webhook_deliveries_due')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('group_robots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_robots_project_id'))

    op.drop_table('group_robots')
