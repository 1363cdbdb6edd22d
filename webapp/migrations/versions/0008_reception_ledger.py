"""reception ledger

Revision ID: f5811b62bea4
Revises: 1464a7954767
Create Date: 2026-11-28 18:46:58.968868

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5811b62bea4'
down_revision = '1464a7954767'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reception_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.String(length=20), nullable=True),
    sa.Column('follow_up_type', sa.String(length=50), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('routed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.Column('discarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discarded_by_id', sa.Integer(), nullable=True),
    sa.Column('discard_reason', sa.Text(), nullable=True),
    sa.Column('public_token', sa.String(length=40), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_reception_entries_closed_by_id_users')),
    sa.ForeignKeyConstraint(['discarded_by_id'], ['users.id'], name=op.f('fk_reception_entries_discarded_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_reception_entries_owner_id_owners')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_reception_entries_project_id_projects')),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_reception_entries_received_by_id_users')),
    sa.ForeignKeyConstraint(['routed_by_id'], ['users.id'], name=op.f('fk_reception_entries_routed_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_reception_entries_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_reception_entries_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_entries')),
    sa.UniqueConstraint('number', name='uq_reception_entries_number'),
    sa.UniqueConstraint('public_token', name='uq_reception_entries_public_token')
    )
    with op.batch_alter_table('reception_entries', schema=None) as batch_op:
        batch_op.create_index('ix_reception_entries_follow_up', ['follow_up_type', 'follow_up_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reception_entries_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_reception_entries_project_owner', ['project_id', 'owner_id'], unique=False)
        batch_op.create_index('ix_reception_entries_project_status_received', ['project_id', 'status', 'received_at'], unique=False)



def downgrade():
    with op.batch_alter_table('reception_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_reception_entries_project_status_received')
        batch_op.drop_index('ix_reception_entries_project_owner')
        batch_op.drop_index(batch_op.f('ix_reception_entries_project_id'))
        batch_op.drop_index('ix_reception_entries_follow_up')

    op.drop_table('reception_entries')
