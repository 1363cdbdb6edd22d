"""complaint monthly reports: the analysis of 投诉情况月汇总表 and its review

Revision ID: e8f5cb158b20
Revises: 47070107a619
Create Date: 2026-11-28 16:51:12.629063

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8f5cb158b20'
down_revision = '47070107a619'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint_monthly_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('analysis', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_complaint_monthly_reports_project_id_projects')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_complaint_monthly_reports_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_complaint_monthly_reports_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_complaint_monthly_reports_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_monthly_reports')),
    sa.UniqueConstraint('project_id', 'period_start', name='uq_complaint_monthly_reports_project_period')
    )
    with op.batch_alter_table('complaint_monthly_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_monthly_reports_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('complaint_monthly_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_monthly_reports_project_id'))

    op.drop_table('complaint_monthly_reports')
