"""personal data retention: how many calendar months after a record closes the owners'
personal data on it is anonymised (PIPL); 36 by default, NULL keeps it

Revision ID: 9a1b2c3d0014
Revises: 8e4f1a2c0013
Create Date: 2026-11-29 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a1b2c3d0014'
down_revision = '8e4f1a2c0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'companies',
        sa.Column('personal_data_retention_months', sa.SmallInteger(), server_default='36', nullable=True),
    )


def downgrade():
    # a plain DROP COLUMN (SQLite 3.35+): a batch copy of companies would trip the projects'
    # foreign keys on a database that has projects
    op.drop_column('companies', 'personal_data_retention_months')
