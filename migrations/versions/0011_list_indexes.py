"""Ledger list indexes: walk (due_key, id) in order for wide scopes; leader_id for the scope OR.

Found by bench/ (EXPLAIN QUERY PLAN): an admin's or a root supervisor's ledger, text search and a
status filter over a wide scope scanned the whole items table and sorted it; the scope's
``leader_id = ?`` branch had no index, so the OR of owner / leader / organisations could not use one.

Revision ID: 0011
Revises: 0003
Create Date: 2026-11-23 13:55:00

"""
from alembic import op

revision = '0011'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_items_due', 'items', ['due_key', 'id'], unique=False)
    op.create_index('ix_items_leader_open_due', 'items', ['leader_id', 'is_open', 'due_key', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_items_leader_open_due', table_name='items')
    op.drop_index('ix_items_due', table_name='items')
