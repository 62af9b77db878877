"""Notices (公示/通报): notices, their numbering and schedule settings, objections; items.closure_final_at.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23 13:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('addressee', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('objection_days', sa.Integer(), nullable=True),
    sa.Column('objection_until', sa.Date(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('draft_key', sa.String(length=100), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('progress', 'closure', 'review', 'overdue')", name=op.f('ck_notices_kind')),
    sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name=op.f('ck_notices_status')),
    sa.CheckConstraint('period_start <= period_end', name=op.f('ck_notices_period')),
    sa.CheckConstraint("(status = 'draft') = (published_at IS NULL)",
                       name=op.f('ck_notices_published_at_iff_issued')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_notices_org_id_organisations')),
    sa.ForeignKeyConstraint(['corrects_id'], ['notices.id'], name=op.f('fk_notices_corrects_id_notices')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_notices_published_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_notices_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('org_id', 'year', 'seq', name='uq_notices_org_year_seq'),
    sa.UniqueConstraint('draft_key', name='uq_notices_draft_key'),
    )
    op.create_index('ix_notices_status_published', 'notices', ['status', 'published_at'], unique=False)
    op.create_index('ix_notices_org_status', 'notices', ['org_id', 'status', 'id'], unique=False)
    op.create_table('notice_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_notice_counters_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_counters')),
    sa.UniqueConstraint('org_id', 'year', name='uq_notice_counters_org_year'),
    )
    op.create_table('notice_settings',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('progress_enabled', sa.Boolean(), nullable=False),
    sa.Column('progress_weekday', sa.Integer(), nullable=False),
    sa.Column('closure_enabled', sa.Boolean(), nullable=False),
    sa.Column('auto_publish', sa.Boolean(), nullable=False),
    sa.Column('objection_days', sa.Integer(), nullable=False),
    sa.Column('addressee', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.CheckConstraint('progress_weekday BETWEEN 0 AND 6', name=op.f('ck_notice_settings_weekday')),
    sa.CheckConstraint('objection_days BETWEEN 1 AND 60', name=op.f('ck_notice_settings_objection_days')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_notice_settings_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_notice_settings')),
    )
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('opinion_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IS NULL OR decision IN ('upheld', 'answered')", name=op.f('ck_objections_decision')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_objections_notice_id_notices')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_objections_item_id_items')),
    sa.ForeignKeyConstraint(['opinion_id'], ['opinions.id'], name=op.f('fk_objections_opinion_id_opinions')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_objections_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('opinion_id', name=op.f('uq_objections_opinion_id')),
    )
    op.create_index('ix_objections_notice_item', 'objections', ['notice_id', 'item_id'], unique=False)
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closure_final_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('closure_final_at')
    op.drop_index('ix_objections_notice_item', table_name='objections')
    op.drop_table('objections')
    op.drop_table('notice_settings')
    op.drop_table('notice_counters')
    op.drop_index('ix_notices_org_status', table_name='notices')
    op.drop_index('ix_notices_status_published', table_name='notices')
    op.drop_table('notices')
