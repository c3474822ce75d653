"""agents: a role (agent, supervisor, beheerder) and the OpenID Connect subject they sign in as

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:00:00

Agents created with a local password get the role `agent`; an OIDC sign-in sets the role from the
IdP's claim at every sign-in. ``oidc_subject`` is "<issuer> <sub>": who the IdP says this is.
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents') as batch:
        batch.add_column(sa.Column('role', sa.String(16), nullable=False, server_default='agent'))
        batch.add_column(sa.Column('oidc_subject', sa.String(300), nullable=True))
        batch.create_unique_constraint('uq_agents_oidc_subject', ['oidc_subject'])


def downgrade() -> None:
    with op.batch_alter_table('agents') as batch:
        batch.drop_constraint('uq_agents_oidc_subject', type_='unique')
        batch.drop_column('oidc_subject')
        batch.drop_column('role')
