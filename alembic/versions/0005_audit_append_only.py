"""audit log append-only; the retention purge's marker table

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 18:00:00

Triggers refuse every UPDATE of ``audit_log`` and every DELETE, except inside the retention
purge's own transaction, which marks itself with a row in ``audit_purge`` (uncommitted, so no
other transaction sees it; the purge removes it again before committing).
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_purge', sa.Column('id', sa.Integer(), primary_key=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purge) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit_log is append-only (%)', TG_OP;
            END $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
        """)
    else:
        op.execute("""
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (UPDATE)'); END
        """)
        op.execute("""
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            WHEN NOT EXISTS (SELECT 1 FROM audit_purge)
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (DELETE)'); END
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table('audit_purge')
