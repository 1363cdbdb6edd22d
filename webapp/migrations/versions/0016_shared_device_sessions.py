"""shared device sessions: a session signed in as "shared tablet" (short idle and absolute
timeouts, never remembered), and the moment a device was handed to an owner to sign

Revision ID: bc3d4e5f0016
Revises: ab2c3d4e0015
Create Date: 2026-11-29 10:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'bc3d4e5f0016'
down_revision = 'ab2c3d4e0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_device', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('handed_over_at')
        batch_op.drop_column('shared_device')
