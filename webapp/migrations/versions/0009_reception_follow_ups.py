"""Reception follow-ups: entry photos, return-for-repair slips, repair work orders and
their rounds, praise and its credits, suggestions, the lost-property register and the
major events register (RCP-03, RCP-04, RCP-07)

Revision ID: 56ffe10766b4
Revises: f5811b62bea4
Create Date: 2026-11-28 20:09:40.068682

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '56ffe10766b4'
down_revision = 'f5811b62bea4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('major_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('people_involved', sa.String(length=500), nullable=True),
    sa.Column('handling', sa.Text(), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_major_events_closed_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_major_events_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_major_events_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_major_events_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_events'))
    )
    with op.batch_alter_table('major_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_major_events_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_major_events_project_occurred', ['project_id', 'occurred_at'], unique=False)

    op.create_table('found_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('found_place', sa.String(length=200), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('found_by', sa.String(length=100), nullable=True),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('claimant_name', sa.String(length=50), nullable=True),
    sa.Column('claimant_document', sa.String(length=20), nullable=True),
    sa.Column('claimant_document_masked', sa.String(length=40), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('handover_note', sa.Text(), nullable=True),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['reception_entries.id'], name=op.f('fk_found_items_entry_id_reception_entries')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_found_items_project_id_projects')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_found_items_registered_by_id_users')),
    sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_found_items_released_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_found_items_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_found_items')),
    sa.UniqueConstraint('number', name='uq_found_items_number')
    )
    with op.batch_alter_table('found_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_found_items_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_found_items_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_found_items_project_status', ['project_id', 'status'], unique=False)

    op.create_table('praises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('praised_as', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verification_note', sa.Text(), nullable=True),
    sa.Column('credited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('credited_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credited_by_id'], ['users.id'], name=op.f('fk_praises_credited_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['reception_entries.id'], name=op.f('fk_praises_entry_id_reception_entries')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_praises_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_praises_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_praises_updated_by_id_users')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_praises_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_praises')),
    sa.UniqueConstraint('entry_id', name='uq_praises_entry_id')
    )
    with op.batch_alter_table('praises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_praises_project_id'), ['project_id'], unique=False)

    op.create_table('reception_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('original_key', sa.String(length=80), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=80), nullable=False),
    sa.Column('watermarked_key', sa.String(length=80), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['reception_entries.id'], name=op.f('fk_reception_photos_entry_id_reception_entries')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_reception_photos_project_id_projects')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_reception_photos_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_photos'))
    )
    with op.batch_alter_table('reception_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reception_photos_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reception_photos_project_id'), ['project_id'], unique=False)

    op.create_table('repair_work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_repair_work_orders_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_repair_work_orders_department_id_departments')),
    sa.ForeignKeyConstraint(['entry_id'], ['reception_entries.id'], name=op.f('fk_repair_work_orders_entry_id_reception_entries')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_repair_work_orders_project_id_projects')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_repair_work_orders_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_repair_work_orders_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_work_orders')),
    sa.UniqueConstraint('entry_id', name='uq_repair_work_orders_entry_id'),
    sa.UniqueConstraint('number', name='uq_repair_work_orders_number')
    )
    with op.batch_alter_table('repair_work_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_work_orders_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_work_orders_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_repair_work_orders_project_status', ['project_id', 'status'], unique=False)

    op.create_table('return_slips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=False),
    sa.Column('send_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('received_by_developer', sa.String(length=100), nullable=True),
    sa.Column('developer_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('promised_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chase_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_chased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['users.id'], name=op.f('fk_return_slips_drafted_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['reception_entries.id'], name=op.f('fk_return_slips_entry_id_reception_entries')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_return_slips_project_id_projects')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_return_slips_sent_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_return_slips_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_return_slips_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_slips')),
    sa.UniqueConstraint('entry_id', name='uq_return_slips_entry_id'),
    sa.UniqueConstraint('number', name='uq_return_slips_number')
    )
    with op.batch_alter_table('return_slips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_slips_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_return_slips_status_chase_due', ['status', 'chase_due_at'], unique=False)

    op.create_table('suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('forwarded_by_id', sa.Integer(), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_suggestions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['reception_entries.id'], name=op.f('fk_suggestions_entry_id_reception_entries')),
    sa.ForeignKeyConstraint(['forwarded_by_id'], ['users.id'], name=op.f('fk_suggestions_forwarded_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_suggestions_project_id_projects')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_suggestions_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestions')),
    sa.UniqueConstraint('entry_id', name='uq_suggestions_entry_id')
    )
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestions_project_id'), ['project_id'], unique=False)

    op.create_table('praise_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('praise_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['praise_id'], ['praises.id'], name=op.f('fk_praise_credits_praise_id_praises')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_praise_credits_project_id_projects')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_praise_credits_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_praise_credits')),
    sa.UniqueConstraint('praise_id', 'user_id', name='uq_praise_credits_praise_id_user_id')
    )
    with op.batch_alter_table('praise_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_praise_credits_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_praise_credits_user_credited', ['user_id', 'credited_at'], unique=False)

    op.create_table('repair_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_by_id', sa.Integer(), nullable=False),
    sa.Column('done_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('work_done', sa.Text(), nullable=True),
    sa.Column('callback_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_back_by_id', sa.Integer(), nullable=True),
    sa.Column('callback_method', sa.String(length=10), nullable=True),
    sa.Column('owner_response', sa.Text(), nullable=True),
    sa.Column('fixed', sa.Boolean(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['called_back_by_id'], ['users.id'], name=op.f('fk_repair_rounds_called_back_by_id_users')),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'], name=op.f('fk_repair_rounds_dispatched_by_id_users')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_repair_rounds_done_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_repair_rounds_project_id_projects')),
    sa.ForeignKeyConstraint(['work_order_id'], ['repair_work_orders.id'], name=op.f('fk_repair_rounds_work_order_id_repair_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_rounds')),
    sa.UniqueConstraint('work_order_id', 'round_number', name='uq_repair_rounds_work_order_id_round_number')
    )
    with op.batch_alter_table('repair_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_rounds_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('reception_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_unit', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('owner_category', sa.String(length=20), nullable=True))



def downgrade():
    # not batch: SQLite would recreate a table other tables' foreign keys point at
    op.drop_column('reception_entries', 'owner_category')
    op.drop_column('reception_entries', 'reported_unit')

    with op.batch_alter_table('repair_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_rounds_project_id'))

    op.drop_table('repair_rounds')
    with op.batch_alter_table('praise_credits', schema=None) as batch_op:
        batch_op.drop_index('ix_praise_credits_user_credited')
        batch_op.drop_index(batch_op.f('ix_praise_credits_project_id'))

    op.drop_table('praise_credits')
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestions_project_id'))

    op.drop_table('suggestions')
    with op.batch_alter_table('return_slips', schema=None) as batch_op:
        batch_op.drop_index('ix_return_slips_status_chase_due')
        batch_op.drop_index(batch_op.f('ix_return_slips_project_id'))

    op.drop_table('return_slips')
    with op.batch_alter_table('repair_work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_repair_work_orders_project_status')
        batch_op.drop_index(batch_op.f('ix_repair_work_orders_project_id'))
        batch_op.drop_index(batch_op.f('ix_repair_work_orders_department_id'))

    op.drop_table('repair_work_orders')
    with op.batch_alter_table('reception_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reception_photos_project_id'))
        batch_op.drop_index(batch_op.f('ix_reception_photos_entry_id'))

    op.drop_table('reception_photos')
    with op.batch_alter_table('praises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_praises_project_id'))

    op.drop_table('praises')
    with op.batch_alter_table('found_items', schema=None) as batch_op:
        batch_op.drop_index('ix_found_items_project_status')
        batch_op.drop_index(batch_op.f('ix_found_items_project_id'))
        batch_op.drop_index(batch_op.f('ix_found_items_entry_id'))

    op.drop_table('found_items')
    with op.batch_alter_table('major_events', schema=None) as batch_op:
        batch_op.drop_index('ix_major_events_project_occurred')
        batch_op.drop_index(batch_op.f('ix_major_events_project_id'))

    op.drop_table('major_events')
