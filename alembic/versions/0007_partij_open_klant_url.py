"""partijen keep the URL of the same person's partij in Open Klant

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:10:00

At MijnGemeente login the resident's partij is found in Open Klant by its BSN identificator
(or created, when configured to). Its URL is the betrokkene's ``wasPartij`` of every chat that
is registered for the resident, and the key to the klantcontacten of other channels (issue 11).
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('partijen', schema=None) as batch_op:
        batch_op.add_column(sa.Column('klantinteracties_url', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partijen', schema=None) as batch_op:
        batch_op.drop_column('klantinteracties_url')
