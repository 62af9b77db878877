"""Audit log with a hash chain, the auditor and security-admin roles (issue 14, SPEC §16).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

GENESIS = '0' * 64

# PostgreSQL refuses any change to a written entry, whoever asks (the app has no such path either).
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""

# SQLite: the same refusal (no TRUNCATE there; DELETE without WHERE is a DELETE).
SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
]


def upgrade():
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('target_type', sa.String(length=40), nullable=True),
        sa.Column('target_id', sa.BigInteger(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_audit_log'),
        sa.UniqueConstraint('hash', name='uq_audit_log_hash'),
    )
    op.create_index('ix_audit_log_actor_id_id', 'audit_log', ['actor_id', 'id'])
    op.create_index('ix_audit_log_action_id', 'audit_log', ['action', 'id'])
    op.create_index('ix_audit_log_at_id', 'audit_log', ['at', 'id'])
    head = op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_audit_head'),
    )
    op.bulk_insert(head, [{'id': 1, 'last_id': 0, 'last_hash': GENESIS}])
    # plain ADD COLUMN (SQLite can, with a constant default): a batch copy would drop a table others refer to
    op.add_column('users', sa.Column('is_auditor', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('users', sa.Column('is_security_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)
    else:
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log')
        op.execute('DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log')
        op.execute('DROP FUNCTION IF EXISTS audit_log_append_only()')
    else:
        op.execute('DROP TRIGGER IF EXISTS audit_log_no_delete')
        op.execute('DROP TRIGGER IF EXISTS audit_log_no_update')
    op.drop_column('users', 'is_security_admin')
    op.drop_column('users', 'is_auditor')
    op.drop_table('audit_head')
    op.drop_index('ix_audit_log_at_id', table_name='audit_log')
    op.drop_index('ix_audit_log_action_id', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_id_id', table_name='audit_log')
    op.drop_table('audit_log')
