"""resident sessions keep the identification the login vouched for, while they live

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:00:00

A concept request becomes a taak in the Objects API, which Open Inwoner shows only to the
resident whose BSN it carries (issue 11). The partij keeps only a keyed hash of the number, so
the number is held where it is needed and no longer: in the resident's session, deleted at
logout and with the expired sessions. ``<type>:<value>``, e.g. ``bsn:123456782``.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('resident_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identificatie', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('resident_sessions', schema=None) as batch_op:
        batch_op.drop_column('identificatie')
