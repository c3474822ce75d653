"""klantbeeld concept requests outbox audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:11:03.104771
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('partij_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_partij_id'), ['partij_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)

    op.create_table('partijen',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('identifier_hash', sa.String(length=64), nullable=False),
    sa.Column('identifier_hint', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('preferred_language', sa.String(length=8), nullable=False),
    sa.Column('preferred_channel', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identifier_hash')
    )
    op.create_table('concept_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('partij_id', sa.Integer(), nullable=True),
    sa.Column('request_type', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partij_id'], ['partijen.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('concept_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concept_requests_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concept_requests_partij_id'), ['partij_id'], unique=False)

    op.create_table('klantcontacten',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('partij_id', sa.Integer(), nullable=True),
    sa.Column('kanaal', sa.String(length=50), nullable=False),
    sa.Column('onderwerp', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('agent_name', sa.String(length=120), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partij_id'], ['partijen.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id')
    )
    with op.batch_alter_table('klantcontacten', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_klantcontacten_partij_id'), ['partij_id'], unique=False)

    op.create_table('resident_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('partij_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partij_id'], ['partijen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('resident_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_sessions_partij_id'), ['partij_id'], unique=False)

    op.create_table('concept_request_statuses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('concept_request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['concept_request_id'], ['concept_requests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('concept_request_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concept_request_statuses_concept_request_id'), ['concept_request_id'], unique=False)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partij_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversations_partij_id'), ['partij_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_partij_id'))
        batch_op.drop_column('partij_id')

    with op.batch_alter_table('concept_request_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concept_request_statuses_concept_request_id'))

    op.drop_table('concept_request_statuses')
    with op.batch_alter_table('resident_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_sessions_partij_id'))

    op.drop_table('resident_sessions')
    with op.batch_alter_table('klantcontacten', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_klantcontacten_partij_id'))

    op.drop_table('klantcontacten')
    with op.batch_alter_table('concept_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concept_requests_partij_id'))
        batch_op.drop_index(batch_op.f('ix_concept_requests_conversation_id'))

    op.drop_table('concept_requests')
    op.drop_table('partijen')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_status'))

    op.drop_table('outbox')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_partij_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
