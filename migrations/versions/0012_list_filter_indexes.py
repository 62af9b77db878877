"""Ledger list filter indexes: (status | flagged | kind | category, due_key, id).

Found by bench/ (EXPLAIN QUERY PLAN on the county data set): a wide subtree with a selective filter
walked ix_items_due and read the filter's misses one by one (kind=long_term 35-70 ms, flagged=true
18-25 ms of raw SQL on SQLite); with these the walk is on the filter's own rows in deadline order
(0.4-2.5 ms), on SQLite and PostgreSQL alike.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 16:20:00

"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_items_status_due': ['status', 'due_key', 'id'],
    'ix_items_flagged_due': ['flagged', 'due_key', 'id'],
    'ix_items_kind_due': ['kind', 'due_key', 'id'],
    'ix_items_category_due': ['category', 'due_key', 'id'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'items', columns, unique=False)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='items')
