"""Community cultural activities: the holiday table, the owners' survey, the annual plan,
activities with their detailed plan, milestones, checklist, households notified, roster,
replies and money lines (ACT-01…16)

Revision ID: 9d8142a10474
Revises: 56ffe10766b4
Create Date: 2026-11-28 23:57:41.648716

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d8142a10474'
down_revision = '56ffe10766b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holiday_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_holiday_days_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_days')),
    sa.UniqueConstraint('day', name='uq_holiday_days_day')
    )
    op.create_table('activity_surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('public_token', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activity_surveys_created_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_surveys_project_id_projects')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_activity_surveys_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_surveys')),
    sa.UniqueConstraint('project_id', 'year', name='uq_activity_surveys_project_year'),
    sa.UniqueConstraint('public_token', name='uq_activity_surveys_public_token')
    )
    with op.batch_alter_table('activity_surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_surveys_project_id'), ['project_id'], unique=False)

    op.create_table('activity_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('facilities', sa.Text(), nullable=True),
    sa.Column('organisation', sa.Text(), nullable=True),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pm_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('content_confirmed', sa.Boolean(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reasons', sa.Text(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('pm_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_activity_plans_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activity_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['pm_confirmed_by_id'], ['users.id'], name=op.f('fk_activity_plans_pm_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_plans_project_id_projects')),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_activity_plans_returned_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_activity_plans_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['survey_id'], ['activity_surveys.id'], name=op.f('fk_activity_plans_survey_id_activity_surveys')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_activity_plans_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_plans')),
    sa.UniqueConstraint('project_id', 'year', name='uq_activity_plans_project_year')
    )
    with op.batch_alter_table('activity_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_plans_project_id'), ['project_id'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('date_basis', sa.String(length=30), nullable=True),
    sa.Column('date_reason', sa.String(length=500), nullable=True),
    sa.Column('important', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('public_token', sa.String(length=40), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('attendance', sa.Integer(), nullable=True),
    sa.Column('went_well', sa.Text(), nullable=True),
    sa.Column('shortcomings', sa.Text(), nullable=True),
    sa.Column('rsvp_units', sa.Integer(), nullable=True),
    sa.Column('rsvp_heads', sa.Integer(), nullable=True),
    sa.Column('summarised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summarised_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['activity_plans.id'], name=op.f('fk_activities_plan_id_activity_plans')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activities_project_id_projects')),
    sa.ForeignKeyConstraint(['summarised_by_id'], ['users.id'], name=op.f('fk_activities_summarised_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_activities_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
    sa.UniqueConstraint('public_token', name='uq_activities_public_token')
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index('ix_activities_project_day', ['project_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_project_id'), ['project_id'], unique=False)

    op.create_table('activity_survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_survey_answers_project_id_projects')),
    sa.ForeignKeyConstraint(['survey_id'], ['activity_surveys.id'], name=op.f('fk_activity_survey_answers_survey_id_activity_surveys')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activity_survey_answers_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_survey_answers')),
    sa.UniqueConstraint('survey_id', 'unit_id', name='uq_activity_survey_answers_survey_unit')
    )
    with op.batch_alter_table('activity_survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_survey_answers_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_survey_answers_survey_id'), ['survey_id'], unique=False)

    op.create_table('activity_checklist_ticks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=30), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('ticked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ticked_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_checklist_ticks_activity_id_activities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_checklist_ticks_project_id_projects')),
    sa.ForeignKeyConstraint(['ticked_by_id'], ['users.id'], name=op.f('fk_activity_checklist_ticks_ticked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_checklist_ticks')),
    sa.UniqueConstraint('activity_id', 'item', name='uq_activity_checklist_ticks_activity_item')
    )
    with op.batch_alter_table('activity_checklist_ticks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_checklist_ticks_project_id'), ['project_id'], unique=False)

    op.create_table('activity_detailed_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.Text(), nullable=True),
    sa.Column('host', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pm_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('content_confirmed', sa.Boolean(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reasons', sa.Text(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('pm_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_detailed_plans_activity_id_activities')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_activity_detailed_plans_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activity_detailed_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['pm_confirmed_by_id'], ['users.id'], name=op.f('fk_activity_detailed_plans_pm_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_detailed_plans_project_id_projects')),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_activity_detailed_plans_returned_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_activity_detailed_plans_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_activity_detailed_plans_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_detailed_plans')),
    sa.UniqueConstraint('activity_id', name='uq_activity_detailed_plans_activity_id')
    )
    with op.batch_alter_table('activity_detailed_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_detailed_plans_project_id'), ['project_id'], unique=False)

    op.create_table('activity_household_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_household_notices_activity_id_activities')),
    sa.ForeignKeyConstraint(['notified_by_id'], ['users.id'], name=op.f('fk_activity_household_notices_notified_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_household_notices_project_id_projects')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activity_household_notices_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_household_notices')),
    sa.UniqueConstraint('activity_id', 'unit_id', name='uq_activity_household_notices_activity_unit')
    )
    with op.batch_alter_table('activity_household_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_household_notices_project_id'), ['project_id'], unique=False)

    op.create_table('activity_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('rule', sa.String(length=10), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('department_kind', sa.String(length=30), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('earliest_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('compressed', sa.Boolean(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_milestones_activity_id_activities')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_activity_milestones_done_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_milestones_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_milestones')),
    sa.UniqueConstraint('activity_id', 'code', name='uq_activity_milestones_activity_code')
    )
    with op.batch_alter_table('activity_milestones', schema=None) as batch_op:
        batch_op.create_index('ix_activity_milestones_project_done_due', ['project_id', 'done_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_milestones_project_id'), ['project_id'], unique=False)

    op.create_table('activity_money_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_money_lines_activity_id_activities')),
    sa.ForeignKeyConstraint(['plan_id'], ['activity_plans.id'], name=op.f('fk_activity_money_lines_plan_id_activity_plans')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_money_lines_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_money_lines'))
    )
    with op.batch_alter_table('activity_money_lines', schema=None) as batch_op:
        batch_op.create_index('ix_activity_money_lines_activity_kind', ['activity_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_money_lines_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_money_lines_project_id'), ['project_id'], unique=False)

    op.create_table('activity_roster_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('duty', sa.String(length=200), nullable=True),
    sa.Column('shift_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shift_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_roster_entries_activity_id_activities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_roster_entries_project_id_projects')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_roster_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_roster_entries'))
    )
    with op.batch_alter_table('activity_roster_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_roster_entries_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_roster_entries_project_id'), ['project_id'], unique=False)

    op.create_table('activity_rsvps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('head_count', sa.Integer(), nullable=True),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_rsvps_activity_id_activities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_activity_rsvps_project_id_projects')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activity_rsvps_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_rsvps')),
    sa.UniqueConstraint('activity_id', 'unit_id', name='uq_activity_rsvps_activity_unit')
    )
    with op.batch_alter_table('activity_rsvps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_rsvps_project_id'), ['project_id'], unique=False)



def downgrade():
    with op.batch_alter_table('activity_rsvps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_rsvps_project_id'))

    op.drop_table('activity_rsvps')
    with op.batch_alter_table('activity_roster_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_roster_entries_project_id'))
        batch_op.drop_index(batch_op.f('ix_activity_roster_entries_activity_id'))

    op.drop_table('activity_roster_entries')
    with op.batch_alter_table('activity_money_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_money_lines_project_id'))
        batch_op.drop_index(batch_op.f('ix_activity_money_lines_plan_id'))
        batch_op.drop_index('ix_activity_money_lines_activity_kind')

    op.drop_table('activity_money_lines')
    with op.batch_alter_table('activity_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_milestones_project_id'))
        batch_op.drop_index('ix_activity_milestones_project_done_due')

    op.drop_table('activity_milestones')
    with op.batch_alter_table('activity_household_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_household_notices_project_id'))

    op.drop_table('activity_household_notices')
    with op.batch_alter_table('activity_detailed_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_detailed_plans_project_id'))

    op.drop_table('activity_detailed_plans')
    with op.batch_alter_table('activity_checklist_ticks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_checklist_ticks_project_id'))

    op.drop_table('activity_checklist_ticks')
    with op.batch_alter_table('activity_survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_survey_answers_survey_id'))
        batch_op.drop_index(batch_op.f('ix_activity_survey_answers_project_id'))

    op.drop_table('activity_survey_answers')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_project_id'))
        batch_op.drop_index('ix_activities_project_day')
        batch_op.drop_index(batch_op.f('ix_activities_plan_id'))

    op.drop_table('activities')
    with op.batch_alter_table('activity_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_plans_project_id'))

    op.drop_table('activity_plans')
    with op.batch_alter_table('activity_surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_surveys_project_id'))

    op.drop_table('activity_surveys')
    op.drop_table('holiday_days')
