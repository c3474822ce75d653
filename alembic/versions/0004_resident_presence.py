"""resident presence: when the resident's last socket closed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:45:00

A queued resident whose socket is gone longer than the grace period leaves the queue as
``abandoned``; the router finds them with one query on this column.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resident_left_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('resident_left_at')
