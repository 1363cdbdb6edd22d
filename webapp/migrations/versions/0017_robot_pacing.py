"""robot pacing: when each group-robot message was last claimed to be posted, so a robot is
sent at most its vendor's limit a minute (WeCom and DingTalk take 20)

Revision ID: cd4e5f6a0017
Revises: bc3d4e5f0016
Create Date: 2026-11-29 14:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'cd4e5f6a0017'
down_revision = 'bc3d4e5f0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_webhook_deliveries_robot_last_attempt', ['robot_id', 'last_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_robot_last_attempt')
        batch_op.drop_column('last_attempt_at')
