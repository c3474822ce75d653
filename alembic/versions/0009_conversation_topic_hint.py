"""conversations keep the topic_hint of the page that embeds the widget

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:20:00

The widget's `topic` option (a product page that embeds the chat) arrives as `topic_hint` in
the start frame. Kept with the conversation, it is sent to the bot with every turn as the prior
for vague questions, like the utm campaign (issue 12).
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic_hint', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('topic_hint')
