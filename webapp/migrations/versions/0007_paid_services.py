"""paid services

Revision ID: 1464a7954767
Revises: e8f5cb158b20
Create Date: 2026-11-28 17:15:13.126427

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1464a7954767'
down_revision = 'e8f5cb158b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('in_home_clearances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.Column('training_note', sa.String(length=200), nullable=True),
    sa.Column('cleared_by_id', sa.Integer(), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['users.id'], name=op.f('fk_in_home_clearances_cleared_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_in_home_clearances_project_id_projects')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_in_home_clearances_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_in_home_clearances_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_in_home_clearances'))
    )
    with op.batch_alter_table('in_home_clearances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_in_home_clearances_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_in_home_clearances_project_user', ['project_id', 'user_id', 'revoked_at'], unique=False)

    op.create_table('service_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit_of_charge', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_service_items_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_service_items_department_id_departments')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_items_project_id_projects')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_service_items_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_items')),
    sa.UniqueConstraint('department_id', 'name', name='uq_service_items_department_name')
    )
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_items_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_items_project_id'), ['project_id'], unique=False)

    op.create_table('rental_commissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('asking_rent_fen', sa.Integer(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=True),
    sa.Column('commission_rate_bp', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('listed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('let_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('let_rent_fen', sa.Integer(), nullable=True),
    sa.Column('lease_months', sa.Integer(), nullable=True),
    sa.Column('commission_fen', sa.Integer(), nullable=True),
    sa.Column('tenant_name', sa.String(length=50), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_rental_commissions_owner_id_owners')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_rental_commissions_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_rental_commissions_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_rental_commissions_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_rental_commissions_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rental_commissions')),
    sa.UniqueConstraint('number', name='uq_rental_commissions_number')
    )
    with op.batch_alter_table('rental_commissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rental_commissions_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_rental_commissions_project_status', ['project_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_rental_commissions_unit_id'), ['unit_id'], unique=False)

    op.create_table('service_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=True),
    sa.Column('cautions', sa.Text(), nullable=True),
    sa.Column('key_authorised', sa.Boolean(), nullable=False),
    sa.Column('key_note', sa.String(length=200), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_by_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('work_done', sa.Text(), nullable=True),
    sa.Column('lines_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('materials_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('materials_note', sa.String(length=200), nullable=True),
    sa.Column('total_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_service_orders_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_service_orders_completed_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_service_orders_department_id_departments')),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'], name=op.f('fk_service_orders_dispatched_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_service_orders_owner_id_owners')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_orders_project_id_projects')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_service_orders_registered_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_service_orders_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_service_orders_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_orders')),
    sa.UniqueConstraint('number', name='uq_service_orders_number')
    )
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.create_index('ix_service_orders_project_department_status', ['project_id', 'department_id', 'status'], unique=False)
        batch_op.create_index('ix_service_orders_project_finished', ['project_id', 'finished_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_orders_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_service_orders_project_status_appointment', ['project_id', 'status', 'appointment_at'], unique=False)

    op.create_table('service_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('requested_effective_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_service_prices_decided_by_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_service_prices_item_id_service_items')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_prices_project_id_projects')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_service_prices_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_prices'))
    )
    with op.batch_alter_table('service_prices', schema=None) as batch_op:
        batch_op.create_index('ix_service_prices_item_decision_effective', ['item_id', 'decision', 'effective_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_prices_project_id'), ['project_id'], unique=False)

    op.create_table('service_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_service_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_assignments_order_id_service_orders')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_assignments_project_id_projects')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_service_assignments_removed_by_id_users')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_service_assignments_technician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_assignments')),
    sa.UniqueConstraint('order_id', 'technician_id', name='uq_service_assignments_order_technician')
    )
    with op.batch_alter_table('service_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_assignments_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_service_assignments_technician', ['technician_id', 'removed_at'], unique=False)

    op.create_table('service_checklist_ticks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.String(length=20), nullable=False),
    sa.Column('item', sa.String(length=30), nullable=False),
    sa.Column('ticked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_checklist_ticks_order_id_service_orders')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_checklist_ticks_project_id_projects')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_service_checklist_ticks_technician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_checklist_ticks')),
    sa.UniqueConstraint('order_id', 'technician_id', 'item', name='uq_service_checklist_ticks_order_technician_item')
    )
    with op.batch_alter_table('service_checklist_ticks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_checklist_ticks_project_id'), ['project_id'], unique=False)

    op.create_table('service_order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('price_id', sa.Integer(), nullable=False),
    sa.Column('item_name', sa.String(length=100), nullable=False),
    sa.Column('unit_of_charge', sa.String(length=20), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('quantity_centi', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_service_order_lines_item_id_service_items')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_order_lines_order_id_service_orders')),
    sa.ForeignKeyConstraint(['price_id'], ['service_prices.id'], name=op.f('fk_service_order_lines_price_id_service_prices')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_order_lines_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_order_lines'))
    )
    with op.batch_alter_table('service_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_order_lines_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_lines_project_id'), ['project_id'], unique=False)

    op.create_table('service_quality_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_service_quality_checks_checked_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_quality_checks_order_id_service_orders')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_quality_checks_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_quality_checks'))
    )
    with op.batch_alter_table('service_quality_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_quality_checks_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_quality_checks_project_id'), ['project_id'], unique=False)

    op.create_table('service_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=50), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('signed_content', sa.Text(), nullable=False),
    sa.Column('image_key', sa.String(length=80), nullable=True),
    sa.Column('image_sha256', sa.String(length=64), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_service_signatures_order_id_service_orders')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_service_signatures_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_service_signatures_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_signatures'))
    )
    with op.batch_alter_table('service_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_signatures_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_signatures_project_id'), ['project_id'], unique=False)



def downgrade():
    with op.batch_alter_table('service_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_signatures_project_id'))
        batch_op.drop_index(batch_op.f('ix_service_signatures_order_id'))

    op.drop_table('service_signatures')
    with op.batch_alter_table('service_quality_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_quality_checks_project_id'))
        batch_op.drop_index(batch_op.f('ix_service_quality_checks_order_id'))

    op.drop_table('service_quality_checks')
    with op.batch_alter_table('service_order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_order_lines_project_id'))
        batch_op.drop_index(batch_op.f('ix_service_order_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_service_order_lines_item_id'))

    op.drop_table('service_order_lines')
    with op.batch_alter_table('service_checklist_ticks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_checklist_ticks_project_id'))

    op.drop_table('service_checklist_ticks')
    with op.batch_alter_table('service_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_service_assignments_technician')
        batch_op.drop_index(batch_op.f('ix_service_assignments_project_id'))

    op.drop_table('service_assignments')
    with op.batch_alter_table('service_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_prices_project_id'))
        batch_op.drop_index('ix_service_prices_item_decision_effective')

    op.drop_table('service_prices')
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_service_orders_project_status_appointment')
        batch_op.drop_index(batch_op.f('ix_service_orders_project_id'))
        batch_op.drop_index('ix_service_orders_project_finished')
        batch_op.drop_index('ix_service_orders_project_department_status')

    op.drop_table('service_orders')
    with op.batch_alter_table('rental_commissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rental_commissions_unit_id'))
        batch_op.drop_index('ix_rental_commissions_project_status')
        batch_op.drop_index(batch_op.f('ix_rental_commissions_project_id'))

    op.drop_table('rental_commissions')
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_items_project_id'))
        batch_op.drop_index(batch_op.f('ix_service_items_department_id'))

    op.drop_table('service_items')
    with op.batch_alter_table('in_home_clearances', schema=None) as batch_op:
        batch_op.drop_index('ix_in_home_clearances_project_user')
        batch_op.drop_index(batch_op.f('ix_in_home_clearances_project_id'))

    op.drop_table('in_home_clearances')
